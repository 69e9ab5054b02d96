import { describe, expect, it } from 'vitest';
import type { PresenceMember } from '../src/index.js';
import { AUTH_ENV, signToken } from '../../server/test/auth/support/token-helpers.js';
import { startTestServer } from '../../server/test/support/test-server.js';
import { connected, next, testClient, until } from './support/clients.js';
import { startProxy } from './support/tcp-proxy.js';

const everything = { channels: { 'game:*': ['subscribe', 'publish', 'presence'] } };
const users = (members: readonly PresenceMember[]): string[] => members.map((member) => member.user).sort();

describe('presence', () => {
  it('raises join and leave on a presence subscription, and lists the members', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const { client: alice } = testClient({ url: server.wsUrl, token: await signToken({ sub: 'alice', ...everything }) });
    const { client: bob } = testClient({ url: server.wsUrl, token: await signToken({ sub: 'bob', ...everything }) });
    const joins: string[] = [];
    const leaves: string[] = [];
    const watching = alice.subscribe('game:1', () => undefined, { presence: true, onJoin: (member) => joins.push(member.user) });
    watching.on('leave', (member) => leaves.push(member.user));
    await watching.ready;

    const playing = bob.subscribe('game:1', () => undefined);
    await playing.ready;
    await until(() => joins.includes('bob'), 'bob joining');
    const snapshot = await alice.presence('game:1');
    expect(users(snapshot.members)).toEqual(['alice', 'bob']);
    expect(snapshot.truncated).toBe(false);
    playing.unsubscribe();
    await until(() => leaves.includes('bob'), 'bob leaving');
    expect(users((await bob.presence('game:1')).members)).toEqual(['alice']);
  });

  it('asks presence made before the connection is up once it is', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl });
    const asked = client.presence('game:empty');
    expect(await asked).toEqual({ members: [], truncated: false });
  });

  it('rejects presence the token does not grant with forbidden', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const { client } = testClient({ url: server.wsUrl, token: await signToken({ sub: 'alice', channels: { 'game:*': ['subscribe'] } }) });
    await expect(client.presence('game:1')).rejects.toMatchObject({ code: 'forbidden', channel: 'game:1' });
    const subscription = client.subscribe('game:1', () => undefined, { presence: true });
    await expect(subscription.ready).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('keeps presence events across a reconnect (the resubscribe asks for them again)', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const proxy = await startProxy(server.port);
    const { client: alice } = testClient({ url: proxy.wsUrl, token: await signToken({ sub: 'alice', ...everything }) });
    const joins: string[] = [];
    await alice.subscribe('game:1', () => undefined, { presence: true, onJoin: (member) => joins.push(member.user) }).ready;
    proxy.dropAll();
    await next(alice, 'connected');
    // Wait for the resubscribe to be in place: alice's own join after the reconnect is the sign.
    await until(() => joins.filter((user) => user === 'alice').length >= 1, 'alice back on the channel');
    const { client: bob } = testClient({ url: server.wsUrl, token: await signToken({ sub: 'bob', ...everything }) });
    await connected(bob);
    await bob.subscribe('game:1', () => undefined).ready;
    await until(() => joins.includes('bob'), 'bob joining after the reconnect');
  });

  it('fails a presence request with disconnected when its connection drops before the answer', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    const { client } = testClient({ url: proxy.wsUrl });
    await connected(client);
    const asked = client.presence('game:1');
    proxy.dropAll();
    // The answer takes PRESENCE_SYNC_MS (300 ms) for a channel this instance did not follow: the drop comes first.
    await expect(asked).rejects.toMatchObject({ code: 'disconnected', channel: 'game:1' });
  });
});
