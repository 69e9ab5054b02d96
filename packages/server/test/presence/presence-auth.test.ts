import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/index.js';
import { AUTH_ENV, signToken } from '../auth/support/token-helpers.js';
import type { TestClient } from '../support/test-client.js';
import { connect, startTestServer } from '../support/test-server.js';
import { events, members, nextEvent, queryPresence, settle, subscribePresence } from './support/presence-client.js';

const FULL = { 'room:*': ['subscribe', 'publish', 'presence'] };
const NO_PRESENCE = { 'room:*': ['subscribe', 'publish'] };

async function authServers(count: number): Promise<RunningServer[]> {
  const bus = createMemoryBus();
  const started: RunningServer[] = [];
  for (const name of ['a', 'b'].slice(0, count)) started.push(await startTestServer({ bus, env: { ...AUTH_ENV }, config: { instanceId: name } }));
  return started;
}

async function as(server: RunningServer, sub: string, channels: Record<string, string[]> = FULL): Promise<TestClient> {
  const token = await signToken({ sub, channels });
  return connect(server, { headers: { authorization: `Bearer ${token}` } });
}

describe('presence with auth', () => {
  it('names members by their token sub', async () => {
    const [a] = (await authServers(1)) as [RunningServer];
    const alice = await as(a, 'alice');
    expect(await subscribePresence(alice, 'room:1')).toMatchObject({ type: 'ack' });
    await nextEvent(alice, 'join', 'room:1', 'alice');
    expect(await members(alice, 'room:1')).toEqual(['alice']);
  });

  it('refuses presence: true without the presence action with forbidden, subscribing nothing', async () => {
    const [a] = (await authServers(1)) as [RunningServer];
    const bob = await as(a, 'bob', NO_PRESENCE);
    const refused = await subscribePresence(bob, 'room:1');
    expect(refused).toMatchObject({ type: 'error', code: 'forbidden', channel: 'room:1', message: 'the token does not allow presence on "room:1"' });
    expect(await bob.request({ type: 'unsubscribe', channel: 'room:1' })).toMatchObject({ type: 'error', code: 'not_subscribed' });
    const watcher = await as(a, 'watcher');
    expect(await members(watcher, 'room:1'), 'bob is no member').toEqual([]);
    // The same token may subscribe without presence: then bob is a member like any other.
    expect(await bob.subscribe('room:1')).toMatchObject({ type: 'ack' });
    expect(await members(watcher, 'room:1')).toEqual(['bob']);
    expect((await a.metrics.forbidden.get()).values).toContainEqual(expect.objectContaining({ labels: { action: 'presence' }, value: 1 }));
  });

  it('refuses the presence query without the presence action', async () => {
    const [a] = (await authServers(1)) as [RunningServer];
    const bob = await as(a, 'bob', NO_PRESENCE);
    expect(await bob.subscribe('room:1')).toMatchObject({ type: 'ack' });
    expect(await queryPresence(bob, 'room:1')).toMatchObject({ type: 'error', code: 'forbidden', channel: 'room:1' });
    // presence alone is enough to ask: the asker need not be subscribed, nor allowed to.
    const auditor = await as(a, 'auditor', { 'room:*': ['presence'] });
    expect(await members(auditor, 'room:1')).toEqual(['bob']);
    expect(await subscribePresence(auditor, 'room:1')).toMatchObject({ type: 'error', code: 'forbidden', message: 'the token does not allow subscribe on "room:1"' });
  });

  it('counts several connections of one user once, on one server and across two', async () => {
    const [a, b] = (await authServers(2)) as [RunningServer, RunningServer];
    const watcher = await as(a, 'watcher');
    expect(await subscribePresence(watcher, 'room:1')).toMatchObject({ type: 'ack' });
    await members(watcher, 'room:1');
    const phones = [await as(a, 'alice'), await as(a, 'alice'), await as(b, 'alice')];
    for (const phone of phones) expect(await phone.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await nextEvent(watcher, 'join', 'room:1', 'alice');
    expect(await members(watcher, 'room:1')).toEqual(['alice', 'watcher']);
    expect(await members(phones[2] as TestClient, 'room:1')).toEqual(['alice', 'watcher']);
    await (phones[0] as TestClient).close();
    await (phones[2] as TestClient).close();
    await settle(300);
    expect(events(watcher, 'room:1'), 'alice still has a connection: no leave').toEqual(['join:watcher', 'join:alice']);
    await (phones[1] as TestClient).close();
    await nextEvent(watcher, 'leave', 'room:1', 'alice');
    expect(events(watcher, 'room:1')).toEqual(['join:watcher', 'join:alice', 'leave:alice']);
  });

  it('stops the events after a refresh whose token lacks presence; the subscription stands', async () => {
    const [a] = (await authServers(1)) as [RunningServer];
    const carol = await as(a, 'carol');
    expect(await subscribePresence(carol, 'room:1')).toMatchObject({ type: 'ack' });
    await nextEvent(carol, 'join', 'room:1', 'carol');
    const narrowed = await signToken({ sub: 'carol', channels: NO_PRESENCE });
    expect(await carol.request({ type: 'refresh', token: narrowed })).toMatchObject({ type: 'ack' });
    expect(carol.frames.find((frame) => frame.type === 'error')).toMatchObject({ code: 'forbidden', channel: 'room:1', message: expect.stringContaining('does not allow presence') });
    const dave = await as(a, 'dave');
    expect(await dave.subscribe('room:1')).toMatchObject({ type: 'ack' });
    expect(await dave.publish('room:1', 'hello')).toMatchObject({ type: 'ack' });
    await carol.waitForMessages('room:1', 1);
    await settle();
    expect(events(carol, 'room:1'), 'no join of dave after the refresh').toEqual(['join:carol']);
    expect(await members(dave, 'room:1')).toEqual(['carol', 'dave']);
  });
});
