import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { isBusError } from '@app/core';
import { loadConfig } from '../../src/index.js';
import { connect, startTestServer } from '../support/test-server.js';
import { upgradeAnswer } from '../support/raw-upgrade.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

function hsToken(secret = SECRET): Promise<string> {
  return new SignJWT({ sub: 'p1', exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

/** Retries `attempt` until it returns true or `timeoutMs` passes; the slot is given back asynchronously. */
async function eventually(attempt: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await attempt()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('MAX_CONNECTIONS', () => {
  it('answers 503 too_many_connections with Retry-After past the limit', async () => {
    const server = await startTestServer({ env: { MAX_CONNECTIONS: '2' } });
    await connect(server);
    await connect(server);
    const answer = await upgradeAnswer(server.wsUrl);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.body).toEqual({ error: 'too_many_connections', message: expect.stringContaining('MAX_CONNECTIONS') });
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_upgrades_refused_total');
    expect(metrics).toContain('reason="too_many_connections"} 1');
  });

  it('frees a slot once a client closes', async () => {
    const server = await startTestServer({ env: { MAX_CONNECTIONS: '1' } });
    const first = await connect(server);
    expect((await upgradeAnswer(server.wsUrl)).status).toBe(503);
    await first.close();
    expect(await eventually(async () => (await upgradeAnswer(server.wsUrl)).status === 101)).toBe(true);
  });

  it('gives the slot of a handshake refused for its token back', async () => {
    const server = await startTestServer({ env: { MAX_CONNECTIONS: '1', AUTH_SECRET: SECRET } });
    for (let i = 0; i < 3; i += 1) {
      expect((await upgradeAnswer(server.wsUrl, { Authorization: `Bearer ${await hsToken('another-secret-that-is-also-32-bytes-or-more')}` })).status).toBe(401);
    }
    expect(await eventually(async () => (await upgradeAnswer(server.wsUrl, { Authorization: `Bearer ${await hsToken()}` })).status === 101)).toBe(true);
  });

  it('counts a handshake whose token is still being verified', async () => {
    // A JWKS endpoint that answers only when told to, so one handshake stays in its token check.
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
    const held: ServerResponse[] = [];
    let fetches = 0;
    const keys = createServer((_request, response) => {
      fetches += 1;
      held.push(response);
    });
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => { keys.closeAllConnections(); keys.close(() => resolve()); }));
    const jwksUrl = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwks.json`;
    const server = await startTestServer({ env: { MAX_CONNECTIONS: '1', AUTH_JWKS_URL: jwksUrl } });
    const token = await new SignJWT({ sub: 'p1', exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);

    const pending = upgradeAnswer(server.wsUrl, { Authorization: `Bearer ${token}` });
    expect(await eventually(async () => fetches === 1)).toBe(true);
    // The first handshake holds the only slot while its keys are fetched.
    expect(await upgradeAnswer(server.wsUrl)).toMatchObject({ status: 503, body: { error: 'too_many_connections' } });
    for (const response of held) response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    expect((await pending).status).toBe(101);
  });

  it('is 100000 by default and must be at least 1', () => {
    expect(loadConfig({}).maxConnections).toBe(100_000);
    expect(loadConfig({ MAX_CONNECTIONS: '50' }).maxConnections).toBe(50);
    let message = '';
    try {
      loadConfig({ MAX_CONNECTIONS: '0' });
    } catch (error) {
      if (isBusError(error) && error.reason === 'config') message = error.message;
    }
    expect(message).toBe('MAX_CONNECTIONS="0" is not valid: expected a whole number from 1 to 10000000');
  });
});
