import { createMemoryBus } from '@app/driver-memory';
import type { Message, MessageBus } from '@app/core';
import { describe, expect, it } from 'vitest';
import { LIVENESS_CHANNEL } from '../../src/presence/presence-channel.js';
import type { RunningServer } from '../../src/index.js';
import { FaultyBus, type PublishCall } from '../support/faulty-bus.js';
import { ManualClock } from '../support/manual-clock.js';
import type { TestClient } from '../support/test-client.js';
import { connect } from '../support/test-server.js';
import { remote, serverOn, typeOf, watcher } from './support/liveness-harness.js';
import { members, nextEvent, settle } from './support/presence-client.js';

const HEARTBEAT_MS = 200;
/** The default PRESENCE_SYNC_MS: a state answering a sync goes out within it. */
const SYNC_MS = 300;

const TTL_MS = 15_000;
/** The sweep runs every quarter heartbeat, at least every 50 ms. */
const SWEEP_MS = 50;

/** Moves `clock` on by `ms` in 5 s steps (a third of the default TTL), with at least one real heartbeat between steps. */
async function pass(clock: ManualClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += 5_000) {
    clock.advance(5_000);
    await settle(HEARTBEAT_MS + 50);
  }
}

/** Servers a, b, c… (`count` of them), each on its own FaultyBus over one memory bus, on one manual clock. */
async function instances(count: number) {
  const clock = new ManualClock();
  const memory = createMemoryBus();
  const buses = Array.from({ length: count }, () => new FaultyBus(memory));
  const servers = [];
  for (const [index, bus] of buses.entries()) servers.push(await serverOn(bus, { instanceId: String.fromCharCode(97 + index), presenceHeartbeatMs: HEARTBEAT_MS }, clock));
  return { clock, memory, buses, servers };
}

async function twoInstances() {
  const { clock, memory, buses, servers } = await instances(2);
  return { clock, memory, busA: buses[0] as FaultyBus, busB: buses[1] as FaultyBus, a: servers[0] as RunningServer, b: servers[1] as RunningServer };
}

/** The messages `bus` replays on `channel` from `from`: what it stored there. */
async function replayed(bus: MessageBus, channel: string, from: string): Promise<unknown[]> {
  const got: unknown[] = [];
  const subscription = await bus.subscribe(channel, (message: Message) => void got.push(message.data), { from });
  await settle(50);
  await subscription.unsubscribe();
  return got;
}

/** The publishes of `type` through `bus` on `channel`, from the `from`th publish on. */
const sent = (bus: FaultyBus, channel: string, type: string, from = 0): PublishCall[] => bus.publishes.slice(from).filter((call) => call.channel === channel && typeOf(call) === type);

/** A user of `server` on each of `rooms`, its join seen by `seen`. */
async function memberOf(server: RunningServer, rooms: readonly string[], seen: TestClient, name: string): Promise<void> {
  const user = await connect(server);
  for (const room of rooms) expect(await user.subscribe(room)).toMatchObject({ type: 'ack' });
  for (const room of rooms) await nextEvent(seen, 'join', room, name);
}

const presenceOf = (rooms: readonly string[]): string[] => rooms.map((room) => `presence.${room}`);

describe('presence repair after outages', () => {
  it('restates nothing after one failed alive followed by one within the TTL', async () => {
    const { busB, a, b } = await twoInstances();
    const rooms = ['room:1', 'room:2'];
    const seen = await watcher(a, rooms);
    await memberOf(b, rooms, seen, 'anon:b/1');
    await settle(SYNC_MS + 2 * HEARTBEAT_MS);
    const mark = busB.publishes.length;
    busB.failPublishes(LIVENESS_CHANNEL, 1);
    await settle(4 * HEARTBEAT_MS);
    expect(sent(busB, LIVENESS_CHANNEL, 'alive', mark).filter((call) => !call.delivered).length, 'one alive failed').toBe(1);
    expect(sent(busB, LIVENESS_CHANNEL, 'alive', mark).filter((call) => call.delivered).length, 'the next ones went out').toBeGreaterThan(1);
    for (const room of presenceOf(rooms)) expect(sent(busB, room, 'state', mark), room).toEqual([]);
    for (const room of rooms) expect(await members(seen, room)).toEqual(['anon:a/1', 'anon:b/1']);
  });

  it('restates each channel with members once when its alives went out again after failing for longer than TTL - heartbeat', async () => {
    const { clock, busB, a, b } = await twoInstances();
    const rooms = ['room:1', 'room:2'];
    const seen = await watcher(a, rooms);
    await memberOf(b, rooms, seen, 'anon:b/1');
    busB.failPublishes(LIVENESS_CHANNEL, Number.POSITIVE_INFINITY);
    await pass(clock, TTL_MS + 5_000);
    for (const room of rooms) await nextEvent(seen, 'leave', room, 'anon:b/1', 2000);
    const [mark, after] = [busB.publishes.length, seen.frames.length];
    busB.failPublishes(LIVENESS_CHANNEL, 0);
    for (const room of rooms) await nextEvent(seen, 'join', room, 'anon:b/1', 3000, after);
    await settle(4 * HEARTBEAT_MS);
    for (const room of presenceOf(rooms)) expect(sent(busB, room, 'state', mark).length, `one state on ${room}`).toBe(1);
    for (const room of rooms) expect(await members(seen, room)).toEqual(['anon:a/1', 'anon:b/1']);
  });

  it.each([TTL_MS + 5_000, 4 * TTL_MS])('after a receive cut of %i ms, syncs every followed channel once, within a heartbeat, and lists the dropped users again', async (cutMs) => {
    const { clock, busA, a, b } = await twoInstances();
    const rooms = ['room:1', 'room:2', 'room:3'];
    const seen = await watcher(a, rooms);
    await memberOf(b, ['room:1'], seen, 'anon:b/1');
    const cut = [LIVENESS_CHANNEL, ...presenceOf(rooms)];
    for (const channel of cut) busA.muteDeliveries(channel);
    await pass(clock, cutMs);
    await nextEvent(seen, 'leave', 'room:1', 'anon:b/1', 2000);
    expect(await members(seen, 'room:1'), 'a heard nothing for the TTL').toEqual(['anon:a/1']);
    const [mark, after] = [busA.publishes.length, seen.frames.length];
    for (const channel of cut) busA.unmuteDeliveries(channel);
    await nextEvent(seen, 'join', 'room:1', 'anon:b/1', 3000, after);
    await settle(3 * HEARTBEAT_MS);
    const syncs = presenceOf(rooms).map((room) => sent(busA, room, 'sync', mark));
    expect(syncs.map((calls) => calls.length), 'one sync per followed channel').toEqual([1, 1, 1]);
    const times = syncs.flat().map((call) => call.at);
    expect(Math.max(...times) - Math.min(...times), 'spread over one heartbeat').toBeLessThanOrEqual(HEARTBEAT_MS + SWEEP_MS);
    expect(await members(seen, 'room:1')).toEqual(['anon:a/1', 'anon:b/1']);
  });

  it('sends at most one sync per channel per instance after an outage of the whole bus, and a bounded number of states', async () => {
    const { clock, buses, servers } = await instances(3);
    const rooms = ['room:1', 'room:2'];
    const [a, b, c] = servers as [RunningServer, RunningServer, RunningServer];
    const seen = await watcher(a, rooms);
    await memberOf(b, rooms, seen, 'anon:b/1');
    await memberOf(c, rooms, seen, 'anon:c/1');
    // Every instance has heard every other's alives before the outage.
    await settle(3 * HEARTBEAT_MS);
    const down = [LIVENESS_CHANNEL, ...presenceOf(rooms)];
    for (const bus of buses) for (const channel of down) (bus.muteDeliveries(channel), bus.failPublishes(channel, Number.POSITIVE_INFINITY));
    await pass(clock, TTL_MS + 5_000);
    for (const room of rooms) for (const user of ['anon:b/1', 'anon:c/1']) await nextEvent(seen, 'leave', room, user, 2000);
    const [marks, after] = [buses.map((bus) => bus.publishes.length), seen.frames.length];
    for (const bus of buses) for (const channel of down) (bus.unmuteDeliveries(channel), bus.failPublishes(channel, 0));
    for (const room of rooms) for (const user of ['anon:b/1', 'anon:c/1']) await nextEvent(seen, 'join', room, user, 3000, after);
    await settle(4 * HEARTBEAT_MS + SYNC_MS);
    for (const room of presenceOf(rooms)) {
      const syncs = buses.map((bus, index) => sent(bus, room, 'sync', marks[index]).length);
      for (const count of syncs) expect(count, `syncs per instance on ${room}`).toBeLessThanOrEqual(1);
      const states = buses.reduce((total, bus, index) => total + sent(bus, room, 'state', marks[index]).length, 0);
      // 3 instances with members × (at most 3 syncs + their own restate).
      expect(states, `states on ${room}`).toBeLessThanOrEqual(12);
    }
    for (const room of rooms) expect(await members(seen, room)).toEqual(['anon:a/1', 'anon:b/1', 'anon:c/1']);
  });

  it('syncs nothing for the first alive it ever hears, nor for a new incarnation\'s alive', async () => {
    const { busA, a } = await twoInstances();
    const rooms = ['room:1', 'room:2'];
    await watcher(a, rooms);
    await settle(4 * HEARTBEAT_MS);
    const syncs = (): number[] => presenceOf(rooms).map((room) => sent(busA, room, 'sync').length);
    expect(syncs(), 'only the follows\' own syncs').toEqual([1, 1]);
    await remote(busA, 'new.1').alive();
    await settle(4 * HEARTBEAT_MS);
    expect(syncs()).toEqual([1, 1]);
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
