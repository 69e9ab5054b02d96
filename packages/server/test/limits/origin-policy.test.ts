import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/index.js';
import { startTestServer } from '../support/test-server.js';
import { upgradeAnswer } from '../support/raw-upgrade.js';
import { configErrorOf } from '../support/config-error.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const ORIGINS = 'https://game.example.com,http://localhost:8080';

function token(sub = 'p1'): Promise<string> {
  return new SignJWT({ sub, exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

const configError = (env: Record<string, string>): string => configErrorOf(() => loadConfig(env));

describe('ALLOWED_ORIGINS at the upgrade', () => {
  it('answers 403 origin_not_allowed for an origin off the list, before the token is checked', async () => {
    const server = await startTestServer({ env: { AUTH_SECRET: SECRET, ALLOWED_ORIGINS: ORIGINS } });
    // A valid token does not help a foreign page, and a missing one is not what it is told.
    for (const headers of [{ Origin: 'https://evil.example.com' }, { Origin: 'https://evil.example.com', Authorization: `Bearer ${await token()}` }]) {
      const answer = await upgradeAnswer(server.wsUrl, headers);
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.body).toEqual({ error: 'origin_not_allowed', message: expect.stringContaining('"https://evil.example.com"') });
    }
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_upgrades_refused_total');
    expect(metrics).toContain('reason="origin_not_allowed"} 2');
    expect(metrics).not.toContain('reason="missing"');
  });

  it('accepts a listed origin, compared normalized (scheme and host case, default port)', async () => {
    const server = await startTestServer({ env: { ALLOWED_ORIGINS: 'https://Game.Example.com:443,http://localhost:8080' } });
    for (const origin of ['https://game.example.com', 'HTTPS://GAME.EXAMPLE.COM', 'http://localhost:8080']) {
      expect((await upgradeAnswer(server.wsUrl, { Origin: origin })).status, origin).toBe(101);
    }
    // Same host, another port or scheme: another origin.
    for (const origin of ['http://localhost:8081', 'http://game.example.com', 'null']) {
      expect((await upgradeAnswer(server.wsUrl, { Origin: origin })).status, origin).toBe(403);
    }
  });

  it('still checks the token of a listed origin', async () => {
    const server = await startTestServer({ env: { AUTH_SECRET: SECRET, ALLOWED_ORIGINS: ORIGINS } });
    expect(await upgradeAnswer(server.wsUrl, { Origin: 'http://localhost:8080' })).toMatchObject({ status: 401, body: { error: 'missing' } });
    expect((await upgradeAnswer(server.wsUrl, { Origin: 'http://localhost:8080', Authorization: `Bearer ${await token()}` })).status).toBe(101);
  });

  it('judges a handshake without Origin (not a browser) by its token alone', async () => {
    const server = await startTestServer({ env: { AUTH_SECRET: SECRET, ALLOWED_ORIGINS: ORIGINS } });
    expect(await upgradeAnswer(server.wsUrl)).toMatchObject({ status: 401, body: { error: 'missing' } });
    expect((await upgradeAnswer(server.wsUrl, { Authorization: `Bearer ${await token()}` })).status).toBe(101);
  });

  it('lets any origin connect when ALLOWED_ORIGINS is unset', async () => {
    const server = await startTestServer();
    expect((await upgradeAnswer(server.wsUrl, { Origin: 'https://anywhere.example.com' })).status).toBe(101);
  });
});

describe('ALLOWED_ORIGINS settings', () => {
  it('reads the list normalized, and nothing when unset', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: ' HTTPS://Game.example.com:443/ , http://localhost:8080 ' }).allowedOrigins).toEqual([
      'https://game.example.com',
      'http://localhost:8080',
    ]);
    expect(loadConfig({}).allowedOrigins).toBeUndefined();
  });

  it('refuses "*" and any entry that is not an origin, naming the entry', () => {
    expect(configError({ ALLOWED_ORIGINS: 'https://game.example.com,*' })).toMatch(/^ALLOWED_ORIGINS entry "\*" is not valid: wildcards are not supported/);
    expect(configError({ ALLOWED_ORIGINS: 'https://*.example.com' })).toContain('entry "https://*.example.com" is not valid: wildcards');
    expect(configError({ ALLOWED_ORIGINS: 'https://game.example.com/play' })).toContain('entry "https://game.example.com/play" is not valid: an origin has no path');
    expect(configError({ ALLOWED_ORIGINS: 'https://game.example.com?x=1' })).toContain('no path, query or fragment');
    expect(configError({ ALLOWED_ORIGINS: 'game.example.com' })).toContain('entry "game.example.com" is not valid: not a URL');
    expect(configError({ ALLOWED_ORIGINS: 'ftp://files.example.com' })).toContain('the scheme must be http or https, not ftp');
    expect(configError({ ALLOWED_ORIGINS: 'https://user:pw@game.example.com' })).toContain('no user name or password');
    expect(configError({ ALLOWED_ORIGINS: ' , ' })).toContain('ALLOWED_ORIGINS="," is not valid: it lists no origin');
  });

  it('stops the server from starting on a bad entry', async () => {
    await expect(startTestServer({ env: { ALLOWED_ORIGINS: '*' } })).rejects.toMatchObject({ reason: 'config', message: expect.stringContaining('ALLOWED_ORIGINS') });
  });
});
