import type { Message } from '@app/core';
import { createMemoryBus } from '@app/driver-memory';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { tokens, type RunningServer, type ServerConfig } from '../../src/index.js';
import { LIVENESS_CHANNEL } from '../../src/presence/presence-channel.js';
import { ManualClock } from '../support/manual-clock.js';
import { swappedParts } from '../support/swapped-parts.js';
import { connect, startTestServer } from '../support/test-server.js';
import { events, members, nextEvent, settle, subscribePresence } from './support/presence-client.js';

type Data = Record<string, unknown>;

/** One server on a memory bus the test also uses directly, as another instance would. */
async function serverOnBus(config: Partial<ServerConfig> = {}, lines?: string[], clock?: ManualClock) {
  const bus = createMemoryBus();
  const logger = lines === undefined ? undefined : pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const container = clock === undefined ? undefined : swappedParts([[tokens.CLOCK, clock]]);
  const server = await startTestServer({
    bus,
    config: { instanceId: 'a', ...config },
    ...(logger === undefined ? {} : { logger }),
    ...(container === undefined ? {} : { container }),
  });
  const seen: Data[] = [];
  await bus.subscribe('presence.room:1', (message: Message) => void seen.push(message.data as Data));
  const liveness: Data[] = [];
  await bus.subscribe(LIVENESS_CHANNEL, (message: Message) => void liveness.push(message.data as Data));
  const send = (data: unknown): Promise<unknown> => bus.publish('presence.room:1', data);
  return { server, bus, seen, liveness, send };
}

/** A watcher with presence events on room:1 whose sync window is over. */
async function watcher(server: RunningServer) {
  const client = await connect(server);
  expect(await subscribePresence(client, 'room:1')).toMatchObject({ type: 'ack' });
  await members(client, 'room:1');
  return client;
}

describe('presence messages on the bus', () => {
  it('names the sender by INSTANCE_ID plus a per-start suffix, announces join, sync and leave on the channel, and alive on the liveness channel', async () => {
    const { server, bus, seen, liveness } = await serverOnBus({ presenceTtlMs: 3000, presenceHeartbeatMs: 200 });
    const client = await connect(server);
    expect(await client.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await settle(1100);
    await client.close();
    await expect.poll(() => seen.at(-1)?.['type']).toBe('leave');
    const instance = seen[0]?.['instance'];
    expect(instance).toMatch(/^a\.[0-9a-f]{8}$/);
    expect(seen.every((data) => data['instance'] === instance && data['v'] === 1)).toBe(true);
    expect(seen[0]).toEqual({ v: 1, type: 'join', instance, user: 'anon:a/1' });
    expect(seen.slice(0, 2).map((data) => data['type']).sort()).toEqual(['join', 'sync']);
    expect(seen, 'no state heartbeats on the channel').toHaveLength(3);
    expect(seen.at(-1)).toEqual({ v: 1, type: 'leave', instance, user: 'anon:a/1' });
    // One alive per 200 ms over about 1.1 s, for the whole instance.
    expect(liveness.length).toBeGreaterThanOrEqual(4);
    expect(liveness.length).toBeLessThanOrEqual(7);
    expect(liveness.every((data) => JSON.stringify(data) === JSON.stringify({ v: 1, type: 'alive', instance }))).toBe(true);
    // A second server with the same INSTANCE_ID is another incarnation.
    const again = await startTestServer({ bus, config: { instanceId: 'a' } });
    const other = await connect(again);
    expect(await other.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await expect.poll(() => seen.at(-1)?.['type']).not.toBe('leave');
    const next = seen.find((data) => data['type'] === 'join' && data['instance'] !== instance)?.['instance'];
    expect(next).toMatch(/^a\.[0-9a-f]{8}$/);
    expect(next).not.toBe(instance);
  });

  it('answers a sync at once with its state, and sends nothing for a channel without members', async () => {
    const { server, seen, send } = await serverOnBus({ presenceTtlMs: 60_000, presenceHeartbeatMs: 30_000 });
    const client = await connect(server);
    expect(await client.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await expect.poll(() => seen.length).toBe(2);
    await send({ v: 1, type: 'sync', instance: 'other.1' });
    await expect.poll(() => seen.filter((data) => data['type'] === 'state')).toHaveLength(1);
    expect(seen.find((data) => data['type'] === 'state')).toMatchObject({ users: ['anon:a/1'], part: 0, parts: 1 });
    await client.close();
    await expect.poll(() => seen.at(-1)?.['type']).toBe('leave');
    const before = seen.length;
    await send({ v: 1, type: 'sync', instance: 'other.2' });
    await settle();
    expect(seen.length - before, 'only the sync itself: nobody here to announce').toBe(1);
  });

  it('ignores bad presence messages, logging and counting them, and goes on working', async () => {
    const lines: string[] = [];
    const { server, send } = await serverOnBus({}, lines);
    const client = await watcher(server);
    const bad = [
      'text',
      [1, 2],
      { v: 2, type: 'join', instance: 'x.1', user: 'u' },
      { v: 1, type: 'hello', instance: 'x.1' },
      { v: 1, type: 'join', user: 'u' },
      { v: 1, type: 'join', instance: 'x.1', user: '' },
      { v: 1, type: 'join', instance: 'x.1', user: 'u'.repeat(2000) },
      { v: 1, type: 'state', instance: 'x.1', users: [1], part: 0, parts: 1 },
      { v: 1, type: 'state', instance: 'x.1', users: ['u'], part: 1, parts: 1 },
      { v: 1, type: 'state', instance: 'x.1', users: 'u', part: 0, parts: 1 },
      null,
    ];
    for (const data of bad) await send(data);
    await expect.poll(async () => (await server.metrics.presenceIgnored.get()).values[0]?.value).toBe(bad.length);
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; problem?: string }).filter((line) => line.msg === 'ignored a bad presence message');
    expect(logged).toHaveLength(bad.length);
    expect(logged.filter((line) => line.level === 40), 'one warn, the rest at debug').toHaveLength(1);
    expect(logged[0]?.problem).toBe('not a JSON object');
    // Still working: a good message from another instance is applied.
    await send({ v: 1, type: 'join', instance: 'x.1', user: 'u' });
    await nextEvent(client, 'join', 'room:1', 'u');
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'u']);
  });

  it('assembles a state sent in parts before applying it, and replaces the sender\'s list with it', async () => {
    const { server, send } = await serverOnBus();
    const client = await watcher(server);
    await send({ v: 1, type: 'state', instance: 'x.1', users: ['u1', 'u2'], part: 0, parts: 2 });
    await settle(100);
    expect(events(client, 'room:1'), 'nothing before the last part').toEqual(['join:anon:a/1']);
    await send({ v: 1, type: 'state', instance: 'x.1', users: ['u3'], part: 1, parts: 2 });
    await nextEvent(client, 'join', 'room:1', 'u3');
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'u1', 'u2', 'u3']);
    await send({ v: 1, type: 'state', instance: 'x.1', users: ['u2', 'u4'], part: 0, parts: 1 });
    await nextEvent(client, 'join', 'room:1', 'u4');
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'u2', 'u4']);
    expect(events(client, 'room:1').slice(1).sort()).toEqual(['join:u1', 'join:u2', 'join:u3', 'join:u4', 'leave:u1', 'leave:u3']);
  });

  it('drops an incarnation not heard from for the TTL: its users leave within TTL plus the sweep', async () => {
    // TTL 600 ms, heartbeat 200 ms, so the sweep runs every 50 ms.
    const { server, send } = await serverOnBus({ presenceTtlMs: 600, presenceHeartbeatMs: 200 });
    const client = await watcher(server);
    await send({ v: 1, type: 'state', instance: 'ghost.1', users: ['ghost'], part: 0, parts: 1 });
    await nextEvent(client, 'join', 'room:1', 'ghost');
    const lastHeard = Date.now();
    await nextEvent(client, 'leave', 'room:1', 'ghost', 5000);
    const after = Date.now() - lastHeard;
    expect(after).toBeGreaterThanOrEqual(590);
    expect(after).toBeLessThanOrEqual(600 + 50 + 150);
  });

  it('measures the TTL on the server clock: a swapped clock moved past it drops the incarnation at the next sweep', async () => {
    // The default TTL (15 s) on a clock the test moves; heartbeat 200 ms, so the real sweep runs every 50 ms.
    const clock = new ManualClock();
    const { server, send } = await serverOnBus({ presenceHeartbeatMs: 200 }, undefined, clock);
    const client = await watcher(server);
    // The sync window (PRESENCE_SYNC_MS, during which states are taken in quietly) is on that clock too.
    clock.advance(1_000);
    await send({ v: 1, type: 'state', instance: 'ghost.1', users: ['ghost'], part: 0, parts: 1 });
    await nextEvent(client, 'join', 'room:1', 'ghost');
    clock.advance(14_000);
    await settle(200);
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'ghost']);
    const moved = Date.now();
    clock.advance(2_000);
    await nextEvent(client, 'leave', 'room:1', 'ghost', 2000);
    expect(Date.now() - moved).toBeLessThan(1000);
  });

  it('keeps a user present as long as any source lists it: a stale former incarnation and the live one', async () => {
    const { server, bus, send } = await serverOnBus({ presenceTtlMs: 800, presenceHeartbeatMs: 200 });
    const client = await watcher(server);
    // What a SIGKILLed b left behind, still within its TTL, and b restarted with a new suffix.
    await send({ v: 1, type: 'state', instance: 'b.dead0000', users: ['anon:b/1'], part: 0, parts: 1 });
    await nextEvent(client, 'join', 'room:1', 'anon:b/1');
    const restarted = await startTestServer({ bus, config: { instanceId: 'b', presenceTtlMs: 800, presenceHeartbeatMs: 200 } });
    const again = await connect(restarted);
    expect(await again.subscribe('room:1')).toMatchObject({ type: 'ack' });
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'anon:b/1']);
    expect(await members(again, 'room:1')).toEqual(['anon:a/1', 'anon:b/1']);
    // The stale view expires; the user stays, listed by the live incarnation: no leave.
    await settle(1300);
    expect(events(client, 'room:1')).toEqual(['join:anon:a/1', 'join:anon:b/1']);
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'anon:b/1']);
  });
});
