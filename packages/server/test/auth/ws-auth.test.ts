import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../src/index.js';
import type { TestClient } from '../support/test-client.js';
import { upgradeAnswer } from '../support/raw-upgrade.js';
import { connect, startTestServer } from '../support/test-server.js';
import { AUTH_ENV, nowS, signToken } from './support/token-helpers.js';

const sign = signToken;
const now = nowS;

/** A pino logger at trace level whose every line is kept, to check no token is ever logged. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

function authServer(env: Record<string, string> = {}, logger?: Logger): Promise<RunningServer> {
  return startTestServer({ env: { ...AUTH_ENV, ...env }, ...(logger === undefined ? {} : { logger }) });
}

function bearer(token: string): WebSocket.ClientOptions & { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } };
}

async function expectRefused(server: RunningServer, token: string | undefined, reason: string): Promise<void> {
  // 401, not 101: the WebSocket never opened.
  const answer = await upgradeAnswer(server.wsUrl, token === undefined ? {} : bearer(token).headers);
  expect(answer).toMatchObject({ status: 401, body: { error: reason } });
  expect(typeof answer.body?.['message']).toBe('string');
  if (token !== undefined) expect(JSON.stringify(answer.body)).not.toContain(token);
}

describe('token check at the WebSocket upgrade', () => {
  it('answers 401 with a JSON reason, and never upgrades, for each bad token', async () => {
    const server = await authServer();
    await expectRefused(server, undefined, 'missing');
    await expectRefused(server, await sign({ sub: 'p1' }, 'another-secret-that-is-also-32-bytes-or-more'), 'invalid_signature');
    await expectRefused(server, await sign({ sub: 'p1', exp: now() - 60 }), 'expired');
    await expectRefused(server, await sign({ sub: 'p1', iss: 'https://evil.test' }), 'wrong_issuer');
    await expectRefused(server, await sign({ sub: 'p1', aud: 'someone-else' }), 'wrong_audience');
    await expectRefused(server, await sign({ sub: 'p1', nbf: now() + 600 }), 'not_yet_valid');
    await expectRefused(server, 'not-a-jwt', 'malformed');
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_upgrades_refused_total');
    expect(metrics).toContain('reason="expired"} 1');
  });

  it('answers 401 invalid_claims for a malformed "channels" claim', async () => {
    const server = await authServer();
    await expectRefused(server, await sign({ sub: 'p1', channels: { 'game:*': ['dance'] } }), 'invalid_claims');
  });

  it('accepts a token in the Authorization header, in ?token= and in the bearer.<token> subprotocol', async () => {
    const server = await authServer({ AUTH_DEFAULT_CHANNELS: '{"lobby":["subscribe","publish"]}' });
    const token = await sign({ sub: 'p1' });
    const viaHeader = await connect(server, bearer(token));
    expect(await viaHeader.subscribe('lobby')).toMatchObject({ type: 'ack' });
    const viaQuery = await connect({ wsUrl: `${server.wsUrl}?token=${token}` });
    expect(await viaQuery.subscribe('lobby')).toMatchObject({ type: 'ack' });
    const viaProtocol = await connect(server, {}, ['realtime-bus', `bearer.${token}`]);
    expect(viaProtocol.socket.protocol).toBe('realtime-bus');
    expect(await viaProtocol.subscribe('lobby')).toMatchObject({ type: 'ack' });
  });

  it('never selects a bearer.<token> subprotocol, even when it is the only one offered', async () => {
    const server = await authServer();
    const token = await sign({ sub: 'p1' });
    const failure = await new Promise<Error>((resolve) => {
      const socket = new WebSocket(server.wsUrl, [`bearer.${token}`]);
      socket.on('error', resolve);
      socket.on('open', () => resolve(new Error(`opened with protocol ${socket.protocol}`)));
    });
    // ws refuses a server that selected none of the offered protocols: the token was not echoed.
    expect(failure.message).toMatch(/no subprotocol/i);
  });
});

function nextError(client: TestClient): Promise<Record<string, unknown>> {
  const before = client.frames.length;
  return client.next((frame) => frame.type === 'error' && client.frames.indexOf(frame) >= before);
}

describe('without auth', () => {
  it('selects the first offered subprotocol, as ws always did, but never a bearer.<token> one', async () => {
    const server = await startTestServer();
    expect((await connect(server, {}, ['foo', 'realtime-bus'])).socket.protocol).toBe('foo');
    expect((await connect(server, {}, ['bearer.abc', 'realtime-bus'])).socket.protocol).toBe('realtime-bus');
  });

  it('refuses to start on AUTH_DEFAULT_CHANNELS without a key, or on bad grants', async () => {
    await expect(startTestServer({ env: { AUTH_DEFAULT_CHANNELS: '{"lobby":["subscribe"]}' } })).rejects.toMatchObject({ reason: 'config' });
    await expect(authServer({ AUTH_DEFAULT_CHANNELS: '{"lobby":["dance"]}' })).rejects.toThrow(/AUTH_DEFAULT_CHANNELS/);
  });
});

describe('channel grants', () => {
  const grants = { 'game:*': ['subscribe'], 'chat:{sub}': ['subscribe', 'publish'] };

  it('refuses a subscribe outside the grants with forbidden, and the connection goes on', async () => {
    const server = await authServer();
    const client = await connect(server, bearer(await sign({ sub: 'p1', channels: grants })));
    const error = nextError(client);
    client.send({ type: 'subscribe', channel: 'admin:1', id: 's1' });
    expect(await error).toEqual({ type: 'error', id: 's1', code: 'forbidden', message: expect.any(String), channel: 'admin:1' });
    expect(await client.subscribe('game:42')).toMatchObject({ type: 'ack' });
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_forbidden_total');
    expect(metrics).toContain('action="subscribe"} 1');
  });

  it('refuses a publish outside the grants with forbidden and publishes nothing', async () => {
    const server = await authServer();
    const watcher = await connect(server, bearer(await sign({ sub: 'w', channels: { '*': ['subscribe'] } })));
    expect(await watcher.subscribe('game:42')).toMatchObject({ type: 'ack' });
    expect(await watcher.subscribe('chat:p1')).toMatchObject({ type: 'ack' });
    const client = await connect(server, bearer(await sign({ sub: 'p1', channels: grants })));
    const error = nextError(client);
    client.send({ type: 'publish', channel: 'game:42', data: 'cheat', id: 'p1' });
    expect(await error).toEqual({ type: 'error', id: 'p1', code: 'forbidden', message: expect.any(String), channel: 'game:42' });
    // Still works, and the allowed publish arrives alone: the refused one was never published.
    expect(await client.publish('chat:p1', 'hello')).toMatchObject({ type: 'ack' });
    await watcher.waitForMessages('chat:p1', 1);
    expect(watcher.messages('game:42')).toEqual([]);
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_forbidden_total');
    expect(metrics).toContain('action="publish"} 1');
  });
});

describe('the user field', () => {
  it('carries the publisher sub on message frames other clients receive', async () => {
    const server = await authServer({ AUTH_DEFAULT_CHANNELS: '{"lobby":["subscribe","publish"]}' });
    const reader = await connect(server, bearer(await sign({ sub: 'reader' })));
    expect(await reader.subscribe('lobby')).toMatchObject({ type: 'ack' });
    const writer = await connect(server, bearer(await sign({ sub: 'player-7' })));
    // A client cannot pick its own user: extra fields on publish are not read.
    writer.send({ type: 'publish', channel: 'lobby', data: { move: 'e4' }, user: 'admin', headers: { 'realtime-user': 'admin' } });
    const [message] = await reader.waitForMessages('lobby', 1);
    expect(message).toMatchObject({ type: 'message', channel: 'lobby', data: { move: 'e4' }, user: 'player-7' });
  });

  it('is absent for anonymous publishes (no auth configured)', async () => {
    const server = await startTestServer();
    const reader = await connect(server);
    expect(await reader.subscribe('lobby')).toMatchObject({ type: 'ack' });
    const writer = await connect(server);
    writer.send({ type: 'publish', channel: 'lobby', data: 1, user: 'admin' });
    const [message] = await reader.waitForMessages('lobby', 1);
    expect(message).not.toHaveProperty('user');
  });
});

describe('logs', () => {
  it('never contain the token, whichever way it came and whether it was accepted', async () => {
    const { logger, lines } = capturingLogger();
    const server = await authServer({ AUTH_DEFAULT_CHANNELS: '{"lobby":["subscribe"]}' }, logger);
    const good = await sign({ sub: 'p1' });
    const expired = await sign({ sub: 'p1', exp: now() - 60 });
    const client = await connect({ wsUrl: `${server.wsUrl}?token=${good}` });
    expect(await client.subscribe('lobby')).toMatchObject({ type: 'ack' });
    await client.close();
    expect((await upgradeAnswer(`${server.wsUrl}?token=${expired}`)).status).toBe(401);
    expect((await upgradeAnswer(server.wsUrl, { 'sec-websocket-protocol': `realtime-bus, bearer.${expired}` })).status).toBe(401);
    await server.close();
    expect(lines.some((line) => line.includes('upgrade refused'))).toBe(true);
    expect(lines.some((line) => line.includes('REDACTED'))).toBe(true);
    for (const token of [good, expired]) {
      for (const part of token.split('.')) expect(lines.join('\n')).not.toContain(part);
    }
  });

  it('warns loudly at start when no auth is configured', async () => {
    const { logger, lines } = capturingLogger();
    await startTestServer({ logger });
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['level'] === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.['msg']).toMatch(/AUTH IS OFF/);
  });
});
