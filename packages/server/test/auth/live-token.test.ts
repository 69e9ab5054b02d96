import { describe, expect, it } from 'vitest';
import { tokens, type RunningServer } from '../../src/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { swappedParts } from '../support/swapped-parts.js';
import type { TestClient } from '../support/test-client.js';
import { connect, startTestServer } from '../support/test-server.js';
import { AUTH_ENV, nowS, signToken } from './support/token-helpers.js';

function authServer(env: Record<string, string> = {}, clock?: ManualClock): Promise<RunningServer> {
  // The clock, when given, is swapped in through a child container, as any part is.
  const container = clock === undefined ? undefined : swappedParts([[tokens.CLOCK, clock]]);
  return startTestServer({ env: { ...AUTH_ENV, ...env }, ...(container === undefined ? {} : { container }) });
}

async function connectAs(server: RunningServer, token: string): Promise<TestClient> {
  return connect(server, { headers: { authorization: `Bearer ${token}` } });
}

const GAME = { 'game:*': ['subscribe', 'publish'] };

describe('refresh: a new token on a live connection', () => {
  it('acks a token of the same sub and applies its grants to the frames after it', async () => {
    const server = await authServer();
    const alice = await connectAs(server, await signToken({ sub: 'alice', channels: GAME }));
    expect(await alice.subscribe('chat:1')).toMatchObject({ type: 'error', code: 'forbidden' });
    // Sent back to back: the subscribe must wait for the refresh, or it would be judged by the old grants.
    alice.send({ type: 'refresh', token: await signToken({ sub: 'alice', channels: { ...GAME, 'chat:*': ['subscribe'] } }), id: 'refresh-1' });
    expect(await alice.subscribe('chat:1')).toMatchObject({ type: 'ack' });
    expect(alice.repliesTo('refresh-1')).toEqual([{ type: 'ack', id: 'refresh-1' }]);
    const text = await server.metrics.registry.getSingleMetricAsString('realtime_token_refreshes_total');
    expect(text).toContain('result="ok"} 1');
  });

  it('ends a subscription the new token no longer grants with an unsubscribed frame, and delivers nothing more on it', async () => {
    const server = await authServer();
    const alice = await connectAs(server, await signToken({ sub: 'alice', channels: GAME }));
    const bob = await connectAs(server, await signToken({ sub: 'bob', channels: GAME }));
    await alice.subscribe('game:1');
    await alice.subscribe('game:2');
    expect(await alice.request({ type: 'refresh', token: await signToken({ sub: 'alice', channels: { 'game:2': ['subscribe'] } }) })).toMatchObject({ type: 'ack' });
    expect(alice.frames.find((frame) => frame.type === 'unsubscribed')).toEqual({
      type: 'unsubscribed',
      channel: 'game:1',
      code: 'forbidden',
      message: expect.stringContaining('game:1') as unknown,
    });
    expect(alice.frames.filter((frame) => frame.type === 'unsubscribed')).toHaveLength(1);
    await bob.publish('game:1', 'after the revoke');
    await bob.publish('game:2', 'still granted');
    await alice.waitForMessages('game:2', 1);
    expect(alice.messages('game:1')).toEqual([]);
    // Publishing is no longer granted either.
    expect(await alice.publish('game:2', 'x')).toMatchObject({ type: 'error', code: 'forbidden', channel: 'game:2' });
  });

  it('refuses a token of another sub and keeps the old one', async () => {
    const server = await authServer();
    const alice = await connectAs(server, await signToken({ sub: 'alice', channels: GAME }));
    const answer = await alice.request({ type: 'refresh', token: await signToken({ sub: 'mallory', channels: { '*': ['subscribe', 'publish'] } }) });
    expect(answer).toMatchObject({ type: 'error', code: 'sub_mismatch' });
    expect(await alice.subscribe('admin:1')).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await alice.publish('game:1', 'still alice')).toMatchObject({ type: 'ack' });
  });

  it('refuses a forged, expired or garbage token with invalid_token naming the reason, never echoing the token', async () => {
    const server = await authServer();
    const alice = await connectAs(server, await signToken({ sub: 'alice', channels: GAME }));
    const forged = await signToken({ sub: 'alice', channels: { '*': ['subscribe'] } }, 'not-the-server-secret-but-32-bytes-long!!');
    const cases: [string, string][] = [
      [forged, 'invalid_signature'],
      [await signToken({ sub: 'alice', exp: nowS() - 60 }), 'expired'],
      ['garbage', 'malformed'],
    ];
    for (const [token, reason] of cases) {
      const answer = await alice.request({ type: 'refresh', token });
      expect(answer).toMatchObject({ type: 'error', code: 'invalid_token' });
      expect(String(answer['message'])).toContain(reason);
      expect(JSON.stringify(answer)).not.toContain(token);
    }
    expect(await alice.subscribe('game:1')).toMatchObject({ type: 'ack' });
    expect(await alice.request({ type: 'refresh' })).toMatchObject({ type: 'error', code: 'invalid_frame' });
  });

  it('answers auth_disabled on a server without auth', async () => {
    const client = await connect(await startTestServer());
    expect(await client.request({ type: 'refresh', token: await signToken({ sub: 'alice' }) })).toMatchObject({ type: 'error', code: 'auth_disabled' });
  });
});

describe('token expiry on a live connection', () => {
  it('closes with 4001 "token expired" once exp plus the tolerance has passed on the server clock', async () => {
    const clock = new ManualClock();
    const server = await authServer({ AUTH_CLOCK_TOLERANCE_S: '1' }, clock);
    const alice = await connectAs(server, await signToken({ sub: 'alice', channels: GAME, exp: nowS() + 60 }));
    expect(await alice.subscribe('game:1')).toMatchObject({ type: 'ack' });
    clock.advance(59_000);
    expect(await alice.publish('game:1', 'before exp')).toMatchObject({ type: 'ack' });
    const started = Date.now();
    // exp is whole seconds and 1 s of tolerance follows it: 3 s more is past both.
    clock.advance(3_000);
    const closed = await alice.closed;
    expect(closed).toEqual({ code: 4001, reason: 'token expired' });
    // Closed by the swapped clock, not after a real minute.
    expect(Date.now() - started).toBeLessThan(1_000);
    const text = await server.metrics.registry.getSingleMetricAsString('realtime_disconnects_total');
    expect(text).toContain('reason="token_expired"} 1');
  });

  it('keeps a connection whose token was refreshed before exp open past the old exp, until the new one', async () => {
    const clock = new ManualClock();
    const server = await authServer({ AUTH_CLOCK_TOLERANCE_S: '0' }, clock);
    const alice = await connectAs(server, await signToken({ sub: 'alice', channels: GAME, exp: nowS() + 10 }));
    expect(await alice.request({ type: 'refresh', token: await signToken({ sub: 'alice', channels: GAME, exp: nowS() + 600 }) })).toMatchObject({ type: 'ack' });
    clock.advance(30_000);
    expect(await alice.publish('game:1', 'still here')).toMatchObject({ type: 'ack' });
    const text = await server.metrics.registry.getSingleMetricAsString('realtime_disconnects_total');
    expect(text).not.toContain('reason="token_expired"');
    clock.advance(600_000);
    expect(await alice.closed).toEqual({ code: 4001, reason: 'token expired' });
  });
});
