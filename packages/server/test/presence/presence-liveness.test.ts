import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';
import { LIVENESS_CHANNEL } from '../../src/presence/presence-channel.js';
import { ExpiringBus } from '../support/expiring-bus.js';
import { FaultyBus } from '../support/faulty-bus.js';
import { ManualClock } from '../support/manual-clock.js';
import { connect } from '../support/test-server.js';
import { remote, serverOn, typeOf, watcher, type Data } from './support/liveness-harness.js';
import { events, members, nextEvent, settle } from './support/presence-client.js';

describe('presence liveness', () => {
  it('publishes one alive per heartbeat for all channels with local members, and no state; none once it has no members', async () => {
    const bus = new FaultyBus(createMemoryBus());
    const server = await serverOn(bus, { presenceTtlMs: 3000, presenceHeartbeatMs: 300 });
    const client = await connect(server);
    const rooms = ['room:1', 'room:2', 'room:3', 'room:4', 'room:5'];
    for (const room of rooms) expect(await client.subscribe(room)).toMatchObject({ type: 'ack' });
    const alives = (): number => bus.published(LIVENESS_CHANNEL, 'alive').length;
    await expect.poll(alives, { timeout: 3000 }).toBeGreaterThanOrEqual(1);
    const from = bus.publishes.findLastIndex((call) => call.channel === LIVENESS_CHANNEL);
    const before = alives();
    await expect.poll(alives, { timeout: 3000 }).toBe(before + 1);
    const instance = (bus.published('presence.room:1', 'join')[0]?.data as Data)['instance'];
    // Everything published during one heartbeat period: the one alive.
    expect(bus.publishes.slice(from + 1)).toMatchObject([{ channel: LIVENESS_CHANNEL, data: { v: 1, type: 'alive', instance }, delivered: true }]);
    for (const room of rooms) expect(bus.published(`presence.${room}`).map(typeOf).sort(), room).toEqual(['join', 'sync']);
    expect(bus.openSubscriptions(LIVENESS_CHANNEL), 'one liveness follow for all channels').toBe(1);
    const published = (await server.metrics.presencePublished.get()).values;
    expect(published.find((value) => value.labels['type'] === 'alive')?.value).toBe(alives());
    expect(published.find((value) => value.labels['type'] === 'state')?.value ?? 0).toBe(0);
    await client.close();
    await expect.poll(() => rooms.every((room) => bus.published(`presence.${room}`, 'leave').length === 1)).toBe(true);
    await settle(50);
    const after = alives();
    await settle(800);
    expect(alives(), 'no members anywhere: no alive').toBe(after);
    expect(bus.openSubscriptions(LIVENESS_CHANNEL), 'no channel kept: no liveness follow').toBe(0);
  });

  it('drops an incarnation whose alives stop from all its channels after the TTL, and keeps one that says alive but nothing else', async () => {
    // The default TTL (15 s) on a clock the test moves; the real sweep runs every 50 ms.
    const clock = new ManualClock();
    const bus = new FaultyBus(createMemoryBus());
    const server = await serverOn(bus, { presenceHeartbeatMs: 200 }, clock);
    const rooms = ['room:1', 'room:2'];
    const client = await watcher(server, rooms);
    clock.advance(1_000);
    const ghost = remote(bus, 'ghost.1');
    const steady = remote(bus, 'steady.1');
    for (const room of rooms) {
      await ghost.state(room, ['ghost']);
      await steady.state(room, ['steady']);
      await nextEvent(client, 'join', room, 'ghost');
      await nextEvent(client, 'join', room, 'steady');
    }
    // steady says alive every 5 s and nothing on the channels; ghost says nothing at all.
    for (let step = 1; step <= 2; step += 1) {
      clock.advance(5_000);
      await steady.alive();
      await settle(150);
    }
    for (const room of rooms) expect(await members(client, room), 'within the TTL').toEqual(['anon:a/1', 'ghost', 'steady']);
    for (let step = 3; step <= 6; step += 1) {
      clock.advance(5_000);
      await steady.alive();
      await settle(150);
    }
    for (const room of rooms) {
      await nextEvent(client, 'leave', room, 'ghost', 2000);
      expect(await members(client, room), '30 s after its last channel message, kept by its alives').toEqual(['anon:a/1', 'steady']);
      expect(events(client, room)).toEqual(['join:anon:a/1', 'join:ghost', 'join:steady', 'leave:ghost']);
    }
  });

  it('expires nobody for lack of alives while its liveness follow is not live, nor before a TTL has passed since it became live', async () => {
    const clock = new ManualClock();
    const bus = new FaultyBus(createMemoryBus());
    bus.refuseSubscribes(LIVENESS_CHANNEL);
    const server = await serverOn(bus, { presenceHeartbeatMs: 200 }, clock);
    const client = await watcher(server, ['room:1']);
    clock.advance(1_000);
    await remote(bus, 'ghost.1').state('room:1', ['ghost']);
    await nextEvent(client, 'join', 'room:1', 'ghost');
    // Far past the TTL (15 s), with the liveness follow failing (the sweeps keep trying).
    clock.advance(60_000);
    await settle(300);
    expect(await members(client, 'room:1'), 'not live: silence proves nothing').toEqual(['anon:a/1', 'ghost']);
    expect(bus.subscribed).not.toContain(LIVENESS_CHANNEL);
    bus.allowSubscribes(LIVENESS_CHANNEL);
    await expect.poll(() => bus.subscribed.includes(LIVENESS_CHANNEL)).toBe(true);
    await settle(100);
    clock.advance(14_000);
    await settle(300);
    expect(await members(client, 'room:1'), 'live for less than the TTL').toEqual(['anon:a/1', 'ghost']);
    const moved = Date.now();
    clock.advance(2_000);
    await nextEvent(client, 'leave', 'room:1', 'ghost', 2000);
    expect(Date.now() - moved).toBeLessThan(1000);
  });

  it('follows a channel again when the bus ends its subscription; a user whose leave was missed in the gap goes a TTL later, alives or not', async () => {
    const clock = new ManualClock();
    const bus = new ExpiringBus(createMemoryBus());
    const server = await serverOn(bus, { presenceHeartbeatMs: 200 }, clock);
    const client = await watcher(server, ['room:1']);
    clock.advance(1_000);
    const left = remote(bus, 'left.1');
    const other = remote(bus, 'other.1');
    await left.state('room:1', ['goes']);
    await other.state('room:1', ['stays']);
    await nextEvent(client, 'join', 'room:1', 'goes');
    await nextEvent(client, 'join', 'room:1', 'stays');
    // left.1's last user leaves while a's subscription has stalled; then the bus ends it.
    bus.stall('presence.room:1');
    await left.leave('room:1', 'goes');
    expect(await bus.expire('presence.room:1')).toBe(1);
    await expect.poll(() => bus.subscribes.filter((call) => call.channel === 'presence.room:1').length).toBe(2);
    await settle(100);
    // other.1 answers the new sync (it has members there); left.1 has none, so it does not. Both say alive.
    await other.state('room:1', ['stays']);
    for (let step = 1; step <= 4; step += 1) {
      clock.advance(5_000);
      await left.alive();
      await other.alive();
      await settle(150);
      if (step === 2) expect(await members(client, 'room:1'), 'within a TTL of the re-follow').toEqual(['anon:a/1', 'goes', 'stays']);
    }
    await nextEvent(client, 'leave', 'room:1', 'goes', 2000);
    expect(await members(client, 'room:1')).toEqual(['anon:a/1', 'stays']);
    expect(events(client, 'room:1')).toEqual(['join:anon:a/1', 'join:goes', 'join:stays', 'leave:goes']);
  });

  it('repairs a failed channel publish with the full state at the next heartbeat, once; an empty one for a channel dropped since', async () => {
    const bus = new FaultyBus(createMemoryBus());
    const a = await serverOn(bus, { presenceTtlMs: 5000, presenceHeartbeatMs: 300 });
    const b = await serverOn(bus, { instanceId: 'b', presenceTtlMs: 5000, presenceHeartbeatMs: 300 });
    const seen = await watcher(b, ['room:1']);
    const channel = 'presence.room:1';
    const first = await connect(a);
    expect(await first.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await nextEvent(seen, 'join', 'room:1', 'anon:a/1');
    await expect.poll(() => bus.published(channel, 'state').length, { message: 'b answers a\'s sync' }).toBe(1);
    const states = (): Data[] => bus.published(channel, 'state').slice(1).map((call) => call.data as Data);

    bus.failPublishes(channel, 1);
    const second = await connect(a);
    expect(await second.subscribe('room:1')).toMatchObject({ type: 'ack' });
    expect(bus.published(channel, 'join').map((call) => [(call.data as Data)['user'], call.delivered])).toEqual([
      ['anon:b/1', true],
      ['anon:a/1', true],
      ['anon:a/2', false],
    ]);
    await nextEvent(seen, 'join', 'room:1', 'anon:a/2', 2000);
    expect(states()).toMatchObject([{ users: ['anon:a/1', 'anon:a/2'], part: 0, parts: 1 }]);
    await settle(800);
    expect(states(), 'the mark is cleared: no state at the next heartbeats').toHaveLength(1);

    bus.failPublishes(channel, 1);
    await second.close();
    await nextEvent(seen, 'leave', 'room:1', 'anon:a/2', 2000);
    expect(states().at(-1)).toMatchObject({ users: ['anon:a/1'] });
    // The last member leaves, a drops the channel, and the leave fails: a repairs with an empty state.
    bus.failPublishes(channel, 1);
    const closedAt = Date.now();
    await first.close();
    await nextEvent(seen, 'leave', 'room:1', 'anon:a/1', 2000);
    expect(Date.now() - closedAt, 'the repair, not the TTL').toBeLessThan(2000);
    expect(states().at(-1)).toMatchObject({ users: [] });
    expect(await members(seen, 'room:1')).toEqual(['anon:b/1']);
  });

  it('says one bye at shutdown, on the liveness channel, which drops its users on every channel; a per-channel bye still counts', async () => {
    const bus = new FaultyBus(createMemoryBus());
    const a = await serverOn(bus, { presenceTtlMs: 60_000, presenceHeartbeatMs: 20_000 });
    const b = await serverOn(bus, { instanceId: 'b', presenceTtlMs: 60_000, presenceHeartbeatMs: 20_000 });
    const rooms = ['room:1', 'room:2', 'room:3'];
    const seen = await watcher(a, rooms);
    const one = await connect(b);
    for (const room of rooms) expect(await one.subscribe(room)).toMatchObject({ type: 'ack' });
    const two = await connect(b);
    expect(await two.subscribe('room:1')).toMatchObject({ type: 'ack' });
    for (const room of rooms) await nextEvent(seen, 'join', room, 'anon:b/1');
    await nextEvent(seen, 'join', 'room:1', 'anon:b/2');
    const instance = (bus.published('presence.room:1', 'join').find((call) => (call.data as Data)['user'] === 'anon:b/1')?.data as Data)['instance'];
    await b.close();
    for (const room of rooms) await nextEvent(seen, 'leave', room, 'anon:b/1', 2000);
    await nextEvent(seen, 'leave', 'room:1', 'anon:b/2', 2000);
    const byes = bus.publishes.filter((call) => typeOf(call) === 'bye');
    expect(byes).toMatchObject([{ channel: LIVENESS_CHANNEL, data: { v: 1, type: 'bye', instance }, delivered: true }]);
    for (const room of rooms) expect(await members(seen, room)).toEqual(['anon:a/1']);

    // An older instance's bye on one channel drops it there only.
    const old = remote(bus, 'old.1');
    for (const room of rooms) await old.state(room, ['old']);
    for (const room of rooms) await nextEvent(seen, 'join', room, 'old');
    await old.bye('presence.room:1');
    await nextEvent(seen, 'leave', 'room:1', 'old', 2000);
    expect(await members(seen, 'room:2')).toEqual(['anon:a/1', 'old']);
    // After its bye on the liveness channel, a late channel message of it brings nothing back.
    await old.bye();
    for (const room of ['room:2', 'room:3']) await nextEvent(seen, 'leave', room, 'old', 2000);
    await old.join('room:1', 'late');
    await settle();
    expect(await members(seen, 'room:1')).toEqual(['anon:a/1']);
    expect(events(seen, 'room:1').filter((event) => event.endsWith(':late'))).toEqual([]);
  });
});
