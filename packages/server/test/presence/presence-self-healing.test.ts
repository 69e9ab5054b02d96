import { createMemoryBus } from '@app/driver-memory';
import type { Message, MessageBus } from '@app/core';
import { describe, expect, it } from 'vitest';
import { LIVENESS_CHANNEL } from '../../src/presence/presence-channel.js';
import { FaultyBus } from '../support/faulty-bus.js';
import { ManualClock } from '../support/manual-clock.js';
import { connect } from '../support/test-server.js';
import { remote, serverOn, typeOf, watcher } from './support/liveness-harness.js';
import { members, nextEvent, settle } from './support/presence-client.js';

const HEARTBEAT_MS = 200;
/** The default PRESENCE_SYNC_MS: a state answering a sync goes out within it. */
const SYNC_MS = 300;

/** Moves `clock` on by `steps` × 5 s (the default TTL is 15 s), letting the real sweeps and heartbeats run in between. */
async function pass(clock: ManualClock, steps: number): Promise<void> {
  for (let step = 0; step < steps; step += 1) {
    clock.advance(5_000);
    await settle(150);
  }
}

/** Two servers, a and b, each on its own FaultyBus over one memory bus, on one manual clock. */
async function twoInstances() {
  const clock = new ManualClock();
  const memory = createMemoryBus();
  const busA = new FaultyBus(memory);
  const busB = new FaultyBus(memory);
  const a = await serverOn(busA, { presenceHeartbeatMs: HEARTBEAT_MS }, clock);
  const b = await serverOn(busB, { instanceId: 'b', presenceHeartbeatMs: HEARTBEAT_MS }, clock);
  return { clock, memory, busA, busB, a, b };
}

/** The messages `bus` replays on `channel` from `from`: what it stored there. */
async function replayed(bus: MessageBus, channel: string, from: string): Promise<unknown[]> {
  const got: unknown[] = [];
  const subscription = await bus.subscribe(channel, (message: Message) => void got.push(message.data), { from });
  await settle(50);
  await subscription.unsubscribe();
  return got;
}

describe('presence self-healing after silence', () => {
  it('lists an idle sender\'s users again within a heartbeat once its bus works again after an outage longer than the TTL (its failed alives mark its channels for a state)', async () => {
    const { clock, busA, busB, a, b } = await twoInstances();
    const rooms = ['room:1', 'room:2'];
    const seen = await watcher(a, rooms);
    const user = await connect(b);
    for (const room of rooms) expect(await user.subscribe(room)).toMatchObject({ type: 'ack' });
    for (const room of rooms) await nextEvent(seen, 'join', room, 'anon:b/1');
    // b's bus is down: every publish of b fails; its user is idle, so only its alives try.
    const channels = [LIVENESS_CHANNEL, ...rooms.map((room) => `presence.${room}`)];
    for (const channel of channels) busB.failPublishes(channel, Number.POSITIVE_INFINITY);
    await settle(2 * HEARTBEAT_MS);
    await pass(clock, 4);
    for (const room of rooms) await nextEvent(seen, 'leave', room, 'anon:b/1', 2000);
    // Longer than a remembers an incarnation it dropped for silence: only b's own repair can help.
    await pass(clock, 12);
    expect(busB.published(LIVENESS_CHANNEL, 'alive').filter((call) => !call.delivered).length, 'b tried to say alive').toBeGreaterThan(10);
    for (const room of rooms) expect(await members(seen, room), 'b is gone for a').toEqual(['anon:a/1']);
    const syncsBefore = busA.published('presence.room:1', 'sync').length;
    const after = seen.frames.length;
    const back = Date.now();
    for (const channel of channels) busB.failPublishes(channel, 0);
    for (const room of rooms) await nextEvent(seen, 'join', room, 'anon:b/1', 3000, after);
    expect(Date.now() - back, 'within a heartbeat (plus delivery)').toBeLessThan(HEARTBEAT_MS + SYNC_MS + 500);
    expect(busA.published('presence.room:1', 'sync').length, 'b\'s state, not a sync of a, repaired it').toBe(syncsBefore);
    for (const room of rooms) expect(await members(seen, room)).toEqual(['anon:a/1', 'anon:b/1']);
  });

  it('lists the users of an incarnation it dropped for silence again when it hears from it again, by one sync on each channel it was dropped from; a new incarnation\'s alive syncs nothing', async () => {
    const { clock, busA, b, a } = await twoInstances();
    const seen = await watcher(a, ['room:1', 'room:2']);
    const user = await connect(b);
    expect(await user.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await nextEvent(seen, 'join', 'room:1', 'anon:b/1');
    // a's liveness subscription stays open but delivers nothing (its pub/sub link is silently down).
    busA.muteDeliveries(LIVENESS_CHANNEL);
    await settle(2 * HEARTBEAT_MS);
    await pass(clock, 4);
    await nextEvent(seen, 'leave', 'room:1', 'anon:b/1', 2000);
    expect(await members(seen, 'room:1'), 'a heard no alive for the TTL').toEqual(['anon:a/1']);
    const syncs = (room: string): number => busA.published(`presence.${room}`, 'sync').length;
    const before = { room1: syncs('room:1'), room2: syncs('room:2') };
    const after = seen.frames.length;
    const back = Date.now();
    busA.unmuteDeliveries(LIVENESS_CHANNEL);
    await nextEvent(seen, 'join', 'room:1', 'anon:b/1', 3000, after);
    expect(Date.now() - back, 'b\'s next alive, a\'s sync and b\'s state').toBeLessThan(HEARTBEAT_MS + SYNC_MS + 500);
    expect(await members(seen, 'room:1')).toEqual(['anon:a/1', 'anon:b/1']);
    await remote(busA, 'new.1').alive();
    await settle(4 * HEARTBEAT_MS);
    expect([syncs('room:1'), syncs('room:2')], 'one sync, where b was dropped, then forgotten; none for new.1').toEqual([before.room1 + 1, before.room2]);
  });

  it('keeps channel presence messages in the bus history (a follower catching up gets a missed leave) and alives out of it', async () => {
    const { memory, b } = await twoInstances();
    const start = async (channel: string): Promise<string> => {
      const probe = await memory.subscribe(channel, () => undefined);
      await probe.unsubscribe();
      expect(probe.startPosition).toBeTypeOf('string');
      return probe.startPosition ?? '';
    };
    const [roomFrom, livenessFrom] = [await start('presence.room:1'), await start(LIVENESS_CHANNEL)];
    const user = await connect(b);
    expect(await user.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await settle(3 * HEARTBEAT_MS);
    await user.close();
    await settle(100);
    const stored = await replayed(memory, 'presence.room:1', roomFrom);
    expect(stored.map((data) => typeOf({ data }))).toEqual(['join', 'sync', 'leave']);
    expect(await replayed(memory, LIVENESS_CHANNEL, livenessFrom), 'alives are delivered live only').toEqual([]);
  });
});
