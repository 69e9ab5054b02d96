import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AUTH_ENV, nowS, signToken } from '../../server/test/auth/support/token-helpers.js';
import { connect, startTestServer } from '../../server/test/support/test-server.js';
import { collect, connected, connections, next, testClient, until } from './support/clients.js';

/** Auth with no clock tolerance: a connection ends exactly at its token's exp. */
const AUTH = { ...AUTH_ENV, AUTH_CLOCK_TOLERANCE_S: '0' };
const grants = { channels: { 'game:*': ['subscribe', 'publish'] } };

describe('tokens', () => {
  it('refreshes the token on the live connection before exp, so the connection outlives the first token', async () => {
    const server = await startTestServer({ env: AUTH });
    let calls = 0;
    const getToken = (): Promise<string> => {
      calls += 1;
      return signToken({ sub: 'alice', exp: nowS() + 3, ...grants });
    };
    const { client, events } = testClient({ url: server.wsUrl, getToken, refreshLeadMs: 1500 });
    const seen = await collect(client, 'game:1');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const publisher = await connect(server, { headers: { authorization: `Bearer ${await signToken({ sub: 'bob', ...grants })}` } });
    await publisher.publish('game:1', 'still here');
    await until(() => seen.length === 1, 'a message after the first token expired');
    expect(calls, 'the first token and at least two refreshes').toBeGreaterThanOrEqual(3);
    expect(connections(events)).toBe(1);
    expect(events.filter(([name]) => name === 'disconnected' || name === 'error')).toEqual([]);
  }, 15_000);

  it('on close 4001 gets a new token from getToken, reconnects and resumes', async () => {
    const server = await startTestServer({ env: AUTH });
    let calls = 0;
    let dropped = false;
    const getToken = (): Promise<string> => {
      calls += 1;
      // A refresh's call never answers, so the first token runs out and the server closes with 4001.
      if (calls > 1 && !dropped) return new Promise(() => undefined);
      return signToken({ sub: 'alice', exp: nowS() + (calls === 1 ? 2 : 60), ...grants });
    };
    const { client, events } = testClient({ url: server.wsUrl, getToken });
    client.on('disconnected', () => (dropped = true));
    const seen = await collect<number>(client, 'game:1');
    const publisher = await connect(server, { headers: { authorization: `Bearer ${await signToken({ sub: 'bob', ...grants })}` } });
    await publisher.publish('game:1', 1);
    expect(await next(client, 'disconnected')).toEqual({ code: 4001, reason: 'token expired' });
    await publisher.publish('game:1', 2);
    await next(client, 'connected');
    await until(() => seen.length === 2, 'the message published while the token was being replaced');
    expect(seen.map((message) => message.data)).toEqual([1, 2]);
    expect(calls, 'a new token after the 4001').toBeGreaterThanOrEqual(2);
    expect(connections(events)).toBe(2);
  }, 15_000);

  it('gets another token from getToken when the handshake is refused', async () => {
    const server = await startTestServer({ env: AUTH });
    let calls = 0;
    const getToken = (): Promise<string> => {
      calls += 1;
      return calls === 1 ? signToken({ sub: 'alice', ...grants }, 'another-secret-that-is-at-least-32-bytes') : signToken({ sub: 'alice', ...grants });
    };
    const { client } = testClient({ url: server.wsUrl, getToken });
    await connected(client);
    expect(calls).toBe(2);
  });

  it('with a fixed token: closes with token_expired on 4001, without reconnecting', async () => {
    const server = await startTestServer({ env: AUTH });
    const token = await signToken({ sub: 'alice', exp: nowS() + 2, ...grants });
    const { client, events } = testClient({ url: server.wsUrl, token });
    const subscription = client.subscribe('game:1', () => undefined);
    const errors: string[] = [];
    subscription.on('error', (error) => errors.push(error.code));
    const closed = await next(client, 'closed');
    expect(closed.error).toMatchObject({ code: 'token_expired' });
    expect(client.state).toBe('closed');
    expect(connections(events)).toBe(1);
    expect(errors).toEqual(['token_expired']);
    expect(subscription.active).toBe(false);
  }, 10_000);

  it('with a fixed token that has expired: closes with token_expired before connecting', async () => {
    const server = await startTestServer({ env: AUTH });
    const token = await signToken({ sub: 'alice', exp: nowS() - 10, ...grants });
    const { client, events } = testClient({ url: server.wsUrl, token });
    const pending = client.publish('game:1', 1);
    expect((await next(client, 'closed')).error).toMatchObject({ code: 'token_expired' });
    await expect(pending).rejects.toMatchObject({ code: 'token_expired' });
    expect(connections(events)).toBe(0);
  });

  it('with a fixed token the server refuses (401, seen through the ws package): closes with unauthorized', async () => {
    const server = await startTestServer({ env: AUTH });
    const token = await signToken({ sub: 'alice', ...grants }, 'another-secret-that-is-at-least-32-bytes');
    const { client } = testClient({ url: server.wsUrl, token, WebSocket });
    expect((await next(client, 'closed')).error).toMatchObject({ code: 'unauthorized' });
  });

  it('answers a refresh on a server without auth by carrying on', async () => {
    const server = await startTestServer();
    let calls = 0;
    const getToken = (): Promise<string> => {
      calls += 1;
      return signToken({ sub: 'alice', exp: nowS() + 2 });
    };
    const { client, events } = testClient({ url: server.wsUrl, getToken, refreshLeadMs: 1000 });
    await connected(client);
    await until(() => calls >= 2, 'a refresh');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.filter(([name]) => name === 'error' || name === 'disconnected')).toEqual([]);
  });
});
