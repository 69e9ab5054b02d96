import { describe, expect, it } from 'vitest';
import { scopedMessageId } from '../src/connection-publishes.js';
import { AUTH_ENV, signToken } from './auth/support/token-helpers.js';
import type { TestClient } from './support/test-client.js';
import { connect, startTestServer } from './support/test-server.js';

const everything = { '*': ['subscribe', 'publish'] };

async function userClient(server: { wsUrl: string }, sub: string): Promise<TestClient> {
  const token = await signToken({ sub, channels: everything });
  return connect(server, { headers: { authorization: `Bearer ${token}` } });
}

describe('client-chosen message ids on publish', () => {
  it('scopes the id to the anonymous publisher and acks with the bus id and position', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    await client.subscribe('game:1');
    const ack = await client.request({ type: 'publish', channel: 'game:1', data: 'e4', messageId: 'k3x9_A-1' });
    const [message] = await client.waitForMessages('game:1', 1);
    expect(ack).toEqual({ type: 'ack', id: ack.id, messageId: 'anon:k3x9_A-1', position: message?.position });
    expect(message).toMatchObject({ id: 'anon:k3x9_A-1', data: 'e4' });
  });

  it('without messageId acks with the UUID the bus chose', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    await client.subscribe('game:1');
    const ack = await client.publish('game:1', 'e4');
    const [message] = await client.waitForMessages('game:1', 1);
    expect(ack.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(message).toMatchObject({ id: ack.messageId, position: ack.position });
  });

  it('gives two users who choose the same messageId different message ids', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const alice = await userClient(server, 'alice');
    const bob = await userClient(server, 'bob');
    await alice.subscribe('game:1');
    expect(await alice.request({ type: 'publish', channel: 'game:1', data: 'a', messageId: 'same' })).toMatchObject({ messageId: 'alice:same' });
    expect(await bob.request({ type: 'publish', channel: 'game:1', data: 'b', messageId: 'same' })).toMatchObject({ messageId: 'bob:same' });
    const messages = await alice.waitForMessages('game:1', 2);
    expect(messages.map((frame) => [frame.id, frame.data, frame.user])).toEqual([
      ['alice:same', 'a', 'alice'],
      ['bob:same', 'b', 'bob'],
    ]);
  });

  it('delivers a retry with the same messageId under the same message id, so clients can drop the copy', async () => {
    const server = await startTestServer({ env: AUTH_ENV });
    const alice = await userClient(server, 'alice');
    const listener = await userClient(server, 'listener');
    await listener.subscribe('game:1');
    const first = await alice.request({ type: 'publish', channel: 'game:1', data: 'move', messageId: 'retry-1' });
    const again = await alice.request({ type: 'publish', channel: 'game:1', data: 'move', messageId: 'retry-1' });
    expect(first.messageId).toBe('alice:retry-1');
    expect(again.messageId).toBe('alice:retry-1');
    const messages = await listener.waitForMessages('game:1', 2);
    expect(messages.map((frame) => frame.id)).toEqual(['alice:retry-1', 'alice:retry-1']);
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['a colon', 'a:b'],
    ['a space', 'a b'],
    ['not a string', 42],
    ['null', null],
  ])('refuses a messageId that is %s with invalid_frame, publishing nothing', async (_label, messageId) => {
    const server = await startTestServer();
    const client = await connect(server);
    await client.subscribe('game:1');
    const reply = await client.request({ type: 'publish', channel: 'game:1', data: 'x', messageId });
    expect(reply).toMatchObject({ type: 'error', code: 'invalid_frame', id: reply.id });
    expect(String(reply.message)).toContain('"messageId"');
    expect(await client.publish('game:1', 'marker')).toMatchObject({ type: 'ack' });
    expect((await client.waitForMessages('game:1', 1)).map((frame) => frame.data)).toEqual(['marker']);
  });

  it('accepts a messageId of 64 characters', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    const messageId = 'a'.repeat(64);
    expect(await client.request({ type: 'publish', channel: 'game:1', data: 1, messageId })).toMatchObject({ type: 'ack', messageId: `anon:${messageId}` });
  });

  it('keeps the scoped id within the bus limit for a long sub, still per user', () => {
    const long = 'u'.repeat(128);
    const id = scopedMessageId(long, 'k'.repeat(64));
    expect(id.length).toBeLessThanOrEqual(128);
    expect(id).toMatch(/^#[A-Za-z0-9_-]{43}:k{64}$/);
    expect(scopedMessageId(`${long.slice(1)}v`, 'k'.repeat(64))).not.toBe(id);
    expect(scopedMessageId(undefined, 'abc')).toBe('anon:abc');
    expect(scopedMessageId('alice', 'abc')).toBe('alice:abc');
  });
});
