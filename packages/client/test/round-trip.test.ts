import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClientError, type Message } from '../src/index.js';
import { startTestServer } from '../../server/test/support/test-server.js';
import { AUTH_ENV, signToken } from '../../server/test/auth/support/token-helpers.js';
import { collect, connected, testClient, until } from './support/clients.js';

describe('publish and subscribe against a server', () => {
  it('delivers a published message to a subscriber, and resolves the publish with the ack', async () => {
    const server = await startTestServer();
    const { client: alice, events } = testClient({ url: server.wsUrl });
    const { client: bob } = testClient({ url: server.wsUrl });
    const seen = await collect<{ move: string }>(bob, 'game:1');
    const result = await alice.publish('game:1', { move: 'e4' });
    await until(() => seen.length === 1, 'the message');
    expect(result.messageId).toMatch(/^anon:[0-9a-f]{32}$/);
    expect(seen[0]).toMatchObject({ channel: 'game:1', data: { move: 'e4' }, id: result.messageId, position: result.position });
    expect(typeof seen[0]?.timestamp).toBe('number');
    expect(events.slice(0, 2).map(([name]) => name)).toEqual(['connecting', 'connected']);
    expect(events[1]?.[1]).toEqual({ url: server.wsUrl, instance: 'test-instance' });
    expect(alice.state).toBe('connected');
  });

  it('works with the ws package as the WebSocket constructor', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl, WebSocket });
    const seen = await collect(client, 'lobby');
    await client.publish('lobby', 'hi');
    await until(() => seen.length === 1, 'the message');
    expect(seen.map((message) => message.data)).toEqual(['hi']);
  });

  it('publishes made before the connection is up go out once it is, in call order', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl });
    const seen: Message[] = [];
    client.subscribe('game:1', (message) => seen.push(message));
    const results = await Promise.all([1, 2, 3].map((n) => client.publish('game:1', n)));
    await until(() => seen.length === 3, 'three messages');
    expect(seen.map((message) => message.data)).toEqual([1, 2, 3]);
    expect(seen.map((message) => message.id)).toEqual(results.map((result) => result.messageId));
  });

  it('stops delivering after unsubscribe, and can subscribe again', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl });
    const seen: unknown[] = [];
    const subscription = client.subscribe('room', (message) => seen.push(message.data));
    await subscription.ready;
    await client.publish('room', 'before');
    await until(() => seen.length === 1, 'the first message');
    subscription.unsubscribe();
    expect(subscription.active).toBe(false);
    await client.publish('room', 'after');
    const again = await collect(client, 'room');
    await client.publish('room', 'again');
    await until(() => again.length === 1, 'the message after subscribing again');
    expect(seen).toEqual(['before']);
    expect(again.map((message) => message.data)).toEqual(['again']);
  });

  it('refuses a second subscription to the same channel, and everything after close()', async () => {
    const server = await startTestServer();
    const { client, events } = testClient({ url: server.wsUrl });
    client.subscribe('room', () => undefined);
    expect(() => client.subscribe('room', () => undefined)).toThrow(expect.objectContaining({ code: 'already_subscribed', channel: 'room' }));
    await connected(client);
    client.close();
    expect(client.state).toBe('closed');
    expect(events.at(-1)).toEqual(['closed', {}]);
    await expect(client.publish('room', 1)).rejects.toMatchObject({ code: 'closed' });
    expect(() => client.subscribe('other', () => undefined)).toThrow(ClientError);
  });

  it('rejects a publish the server refuses with its code and channel', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const token = await signToken({ sub: 'reader', channels: { 'game:*': ['subscribe'] } });
    const { client } = testClient({ url: server.wsUrl, token });
    const error = await client.publish('game:1', 'not allowed').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'forbidden', channel: 'game:1' });
    await expect(client.publish('Bad Channel!', 1)).rejects.toMatchObject({ code: 'invalid_channel' });
  });

  it('carries the token in the subprotocol: messages name the publishing user, ids are scoped to it', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const token = await signToken({ sub: 'alice', channels: { 'game:*': ['subscribe', 'publish'] } });
    const { client } = testClient({ url: server.wsUrl, token });
    const seen = await collect(client, 'game:1');
    const result = await client.publish('game:1', 'mine');
    await until(() => seen.length === 1, 'the message');
    expect(result.messageId).toMatch(/^alice:[0-9a-f]{32}$/);
    expect(seen[0]).toMatchObject({ user: 'alice', id: result.messageId });
  });

  it('ends a subscription the server refuses with an error event and a rejected ready', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const token = await signToken({ sub: 'alice', channels: { 'game:*': ['subscribe'] } });
    const { client } = testClient({ url: server.wsUrl, token });
    const errors: ClientError[] = [];
    const subscription = client.subscribe('lobby', () => undefined);
    subscription.on('error', (error) => errors.push(error));
    await expect(subscription.ready).rejects.toMatchObject({ code: 'forbidden', channel: 'lobby' });
    expect(subscription.active).toBe(false);
    expect(errors.map((error) => error.code)).toEqual(['forbidden']);
    // The channel is free again: a refused subscription does not hold it.
    expect(() => client.subscribe('lobby', () => undefined)).not.toThrow();
  });

  it('refuses a publish over the server’s maxFrameBytes without sending it (the server would close with 1009)', async () => {
    const server = await startTestServer({ config: { maxFrameBytes: 1024 } });
    const { client, events } = testClient({ url: server.wsUrl });
    await connected(client);
    await expect(client.publish('game:1', 'x'.repeat(2000))).rejects.toMatchObject({ code: 'payload_too_large', channel: 'game:1' });
    await expect(client.publish('game:1', '✓'.repeat(300))).resolves.toMatchObject({ messageId: expect.any(String) });
    await expect(client.publish('game:1', '✓'.repeat(400))).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(events.filter(([name]) => name === 'disconnected')).toEqual([]);
  });

  it('refuses bad options with invalid_options', () => {
    expect(() => testClient({})).toThrow(expect.objectContaining({ code: 'invalid_options' }));
    expect(() => testClient({ url: 'ws://127.0.0.1:1/ws', ackTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
  });
});
