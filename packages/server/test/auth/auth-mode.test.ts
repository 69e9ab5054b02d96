import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { connect, startTestServer } from '../support/test-server.js';
import { upgradeAnswer } from '../support/raw-upgrade.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }), lines };
}

describe('AUTH and NODE_ENV=production', () => {
  it('refuses to start in production without a token key', async () => {
    await expect(startTestServer({ env: { NODE_ENV: 'production' } })).rejects.toMatchObject({
      reason: 'config',
      message: 'NODE_ENV=production and no token key is set: set one of AUTH_SECRET, AUTH_PUBLIC_KEY_FILE, AUTH_JWKS_URL, or AUTH=none to let every client connect anonymously on purpose',
    });
  });

  it('starts anonymous in production with AUTH=none, and still warns', async () => {
    const { logger, lines } = capturingLogger();
    const server = await startTestServer({ env: { NODE_ENV: 'production', AUTH: 'none' }, logger });
    const client = await connect(server);
    expect(await client.subscribe('lobby')).toMatchObject({ type: 'ack' });
    expect(lines.join('')).toContain('AUTH IS OFF');
  });

  it('starts in production with a key, and then every upgrade needs a token', async () => {
    const server = await startTestServer({ env: { NODE_ENV: 'production', AUTH_SECRET: SECRET } });
    expect(await upgradeAnswer(server.wsUrl)).toMatchObject({ status: 401, body: { error: 'missing' } });
  });

  it('refuses AUTH=none together with a key, naming both', async () => {
    await expect(startTestServer({ env: { AUTH: 'none', AUTH_SECRET: SECRET } })).rejects.toMatchObject({
      reason: 'config',
      message: expect.stringMatching(/^AUTH=none and AUTH_SECRET are both set/),
    });
    // Checked before the key is read: a key that is also bad still gets this message.
    await expect(startTestServer({ env: { AUTH: 'none', AUTH_JWKS_URL: 'not a url' } })).rejects.toThrow(/^AUTH=none and AUTH_JWKS_URL are both set/);
  });

  it('accepts only none for AUTH', async () => {
    await expect(startTestServer({ env: { AUTH: 'jwt', AUTH_SECRET: SECRET } })).rejects.toMatchObject({
      reason: 'config',
      message: 'AUTH="jwt" is not valid: expected none (to run without tokens on purpose) or unset',
    });
  });

  it('outside production, runs anonymous without a key and warns loudly', async () => {
    const { logger, lines } = capturingLogger();
    const server = await startTestServer({ env: { NODE_ENV: 'development' }, logger });
    expect((await upgradeAnswer(server.wsUrl)).status).toBe(101);
    const warned = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['auth'] === 'none');
    expect(warned).toEqual([expect.objectContaining({ level: 40, msg: expect.stringContaining('AUTH IS OFF') })]);
  });
});
