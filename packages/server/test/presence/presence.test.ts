import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';
import type { RunningServer, ServerConfig } from '../../src/index.js';
import type { TestClient } from '../support/test-client.js';
import { connect, startTestServer } from '../support/test-server.js';
import { events, members, membersOf, nextEvent, queryPresence, settle, subscribePresence } from './support/presence-client.js';

/** Servers on one shared memory bus, as instances of one deployment (the bus is closed after the test). */
async function servers(count: number, config: Partial<ServerConfig> = {}): Promise<RunningServer[]> {
  const bus = createMemoryBus();
  const started: RunningServer[] = [];
  for (const name of ['a', 'b', 'c'].slice(0, count)) started.push(await startTestServer({ bus, config: { instanceId: name, ...config } }));
  return started;
}

/** A client that subscribed to `channel` (with presence events when `presence`), and the user it is. */
async function member(server: RunningServer, channel: string, presence = false): Promise<{ client: TestClient; user: string }> {
  const client = await connect(server);
  const reply = presence ? await subscribePresence(client, channel) : await client.subscribe(channel);
  expect(reply, JSON.stringify(reply)).toMatchObject({ type: 'ack' });
  const joined = client.frames.find((frame) => frame.type === 'join');
  return { client, user: String(joined?.['user'] ?? '') };
}

describe('presence on servers sharing one memory bus', () => {
  it('gives anonymous connections the user anon:<connection id>, and their own join right after the ack', async () => {
    const [a] = await servers(1);
    const alice = await connect(a as RunningServer);
    expect(await subscribePresence(alice, 'room:1')).toMatchObject({ type: 'ack' });
    const own = await nextEvent(alice, 'join', 'room:1', 'anon:a/1');
    expect(own).toEqual({ type: 'join', channel: 'room:1', user: 'anon:a/1' });
    const types = alice.frames.map((frame) => frame.type);
    expect(types, 'ack first, then the join').toEqual(['welcome', 'ack', 'join']);
    expect(await members(alice, 'room:1')).toEqual(['anon:a/1']);
  });

  it('sends join and leave from the other server to presence subscribers on both', async () => {
    const [a, b] = (await servers(2)) as [RunningServer, RunningServer];
    const alice = await member(a, 'room:1', true);
    // The query waits out the sync window: from here on this server's view is complete.
    expect(await members(alice.client, 'room:1')).toEqual(['anon:a/1']);
    const bob = await member(b, 'room:1');
    await nextEvent(alice.client, 'join', 'room:1', 'anon:b/1');
    const carol = await member(b, 'room:1', true);
    await nextEvent(alice.client, 'join', 'room:1', carol.user);
    expect(carol.user).toBe('anon:b/2');
    expect(await members(carol.client, 'room:1')).toEqual(['anon:a/1', 'anon:b/1', 'anon:b/2']);

    expect(await bob.client.request({ type: 'unsubscribe', channel: 'room:1' })).toMatchObject({ type: 'ack' });
    await nextEvent(alice.client, 'leave', 'room:1', 'anon:b/1');
    await nextEvent(carol.client, 'leave', 'room:1', 'anon:b/1');
    await alice.client.close();
    await nextEvent(carol.client, 'leave', 'room:1', 'anon:a/1');
    expect(events(carol.client, 'room:1')).toEqual(['join:anon:b/2', 'leave:anon:b/1', 'leave:anon:a/1']);
    expect(await members(carol.client, 'room:1')).toEqual(['anon:b/2']);
    // bob never asked for events: none reached him.
    expect(events(bob.client, 'room:1')).toEqual([]);
  });

  it('does not send events of other channels, nor to plain subscribers', async () => {
    const [a, b] = (await servers(2)) as [RunningServer, RunningServer];
    const watcher = await member(a, 'room:1', true);
    await members(watcher.client, 'room:1');
    const plain = await member(a, 'room:1');
    await member(b, 'room:2');
    await nextEvent(watcher.client, 'join', 'room:1', 'anon:a/2');
    await settle();
    expect(events(watcher.client, 'room:2')).toEqual([]);
    expect(events(plain.client, 'room:1')).toEqual([]);
  });

  it('answers a query on a server that followed nothing with every server\'s users, then answers at once', async () => {
    const [a, b, c] = (await servers(3, { presenceSyncMs: 300 })) as [RunningServer, RunningServer, RunningServer];
    await member(a, 'room:1');
    await member(b, 'room:1');
    await member(b, 'room:1');
    const asker = await connect(c);
    const first = Date.now();
    expect(await members(asker, 'room:1')).toEqual(['anon:a/1', 'anon:b/1', 'anon:b/2']);
    expect(Date.now() - first, 'the first query waits for the sync').toBeGreaterThanOrEqual(290);
    const second = Date.now();
    expect(await members(asker, 'room:1')).toEqual(['anon:a/1', 'anon:b/1', 'anon:b/2']);
    expect(Date.now() - second, 'the next one answers from the view it keeps').toBeLessThan(200);
    // The asker was not subscribed, so it is no member, and got no events.
    expect(events(asker, 'room:1')).toEqual([]);
    expect(asker.frames.filter((frame) => frame.type === 'ack')).toEqual([]);
  });

  it('answers with the request id, the channel and truncated: false; without an id, with none', async () => {
    const [a] = await servers(1);
    await member(a as RunningServer, 'room:1');
    const client = await connect(a as RunningServer);
    const answer = await queryPresence(client, 'room:1');
    expect(answer).toEqual({ type: 'presence', id: answer.id, channel: 'room:1', members: [{ user: 'anon:a/1' }], truncated: false });
    client.send({ type: 'presence', channel: 'room:1' });
    const bare = await client.next((frame) => frame.type === 'presence' && frame.id === undefined);
    expect(bare).toEqual({ type: 'presence', channel: 'room:1', members: [{ user: 'anon:a/1' }], truncated: false });
    expect(membersOf(await queryPresence(client, 'room:empty'))).toEqual([]);
  });

  it('cuts the list at PRESENCE_MAX_MEMBERS and says truncated', async () => {
    const [a, b] = (await servers(2, { presenceMaxMembers: 3 })) as [RunningServer, RunningServer];
    await member(a, 'room:1');
    await member(a, 'room:1');
    await member(b, 'room:1');
    const asker = await connect(b);
    const exact = await queryPresence(asker, 'room:1');
    expect(membersOf(exact)).toHaveLength(3);
    expect(exact['truncated']).toBe(false);
    await member(b, 'room:1');
    await member(a, 'room:1');
    const cut = await queryPresence(asker, 'room:1');
    expect(membersOf(cut)).toHaveLength(3);
    expect(new Set(membersOf(cut)).size).toBe(3);
    expect(cut['truncated']).toBe(true);
  });

  it('sends the leave of a server that shuts down at once (its bye), not at the TTL', async () => {
    const [a, b] = (await servers(2, { presenceTtlMs: 60_000, presenceHeartbeatMs: 20_000 })) as [RunningServer, RunningServer];
    const watcher = await member(a, 'room:1', true);
    await members(watcher.client, 'room:1');
    await member(b, 'room:1');
    await member(b, 'room:1');
    await nextEvent(watcher.client, 'join', 'room:1', 'anon:b/2');
    const closedAt = Date.now();
    await b.close();
    await nextEvent(watcher.client, 'leave', 'room:1', 'anon:b/1', 5000);
    await nextEvent(watcher.client, 'leave', 'room:1', 'anon:b/2', 5000);
    expect(Date.now() - closedAt).toBeLessThan(5000);
    expect(await members(watcher.client, 'room:1')).toEqual(['anon:a/1']);
  });

  it('keeps nothing for a channel once its last member and listener are gone and no query holds it', async () => {
    const [a] = (await servers(1, { presenceTtlMs: 400, presenceHeartbeatMs: 100 })) as [RunningServer];
    const { client } = await member(a, 'room:1', true);
    const gauge = async (): Promise<number> => (await a.metrics.presenceChannels.get()).values[0]?.value ?? -1;
    expect(await gauge()).toBe(1);
    await client.close();
    await expect.poll(gauge).toBe(0);
    const asker = await connect(a);
    await members(asker, 'room:2');
    expect(await gauge(), 'held after a query').toBe(1);
    await expect.poll(gauge, { timeout: 3000 }).toBe(0);
  });
});
