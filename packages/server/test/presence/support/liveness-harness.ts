import { expect } from 'vitest';
import { tokens, type RunningServer, type ServerConfig } from '../../../src/index.js';
import { LIVENESS_CHANNEL } from '../../../src/presence/presence-channel.js';
import type { ExpiringBus } from '../../support/expiring-bus.js';
import type { FaultyBus } from '../../support/faulty-bus.js';
import type { ManualClock } from '../../support/manual-clock.js';
import { swappedParts } from '../../support/swapped-parts.js';
import type { TestClient } from '../../support/test-client.js';
import { connect, startTestServer } from '../../support/test-server.js';
import { members, subscribePresence } from './presence-client.js';

export type Data = Record<string, unknown>;

/** A server on `bus` (shared with the test, which plays the other instances), on `clock` when given. */
export function serverOn(bus: FaultyBus | ExpiringBus, config: Partial<ServerConfig>, clock?: ManualClock): Promise<RunningServer> {
  const container = clock === undefined ? undefined : swappedParts([[tokens.CLOCK, clock]]);
  return startTestServer({ bus, config: { instanceId: 'a', ...config }, ...(container === undefined ? {} : { container }) });
}

/** A client with presence events on each of `channels`, each past its sync window. */
export async function watcher(server: RunningServer, channels: readonly string[]): Promise<TestClient> {
  const client = await connect(server);
  for (const channel of channels) {
    expect(await subscribePresence(client, channel)).toMatchObject({ type: 'ack' });
    await members(client, channel);
  }
  return client;
}

/** What a remote incarnation says on the bus, as the test plays it. */
export function remote(bus: FaultyBus | ExpiringBus, instance: string) {
  return {
    state: (channel: string, users: string[]) => bus.publish(`presence.${channel}`, { v: 1, type: 'state', instance, users, part: 0, parts: 1 }),
    alive: () => bus.publish(LIVENESS_CHANNEL, { v: 1, type: 'alive', instance }),
    bye: (channel = LIVENESS_CHANNEL) => bus.publish(channel, { v: 1, type: 'bye', instance }),
    join: (channel: string, user: string) => bus.publish(`presence.${channel}`, { v: 1, type: 'join', instance, user }),
    leave: (channel: string, user: string) => bus.publish(`presence.${channel}`, { v: 1, type: 'leave', instance, user }),
  };
}

export const typeOf = (call: { data: unknown }): unknown => (call.data as Data)['type'];
