import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CONFIG_SETTINGS, loadConfig, startServer } from '../../src/index.js';
import { spawnServer } from '../support/server-process.js';
import { configErrorOf } from '../support/config-error.js';

const configError = (env: Record<string, string>): string => configErrorOf(() => loadConfig(env));

describe('presence settings', () => {
  it('have documented defaults and are read from the environment', () => {
    expect(loadConfig({})).toMatchObject({ presenceTtlMs: 15000, presenceHeartbeatMs: 5000, presenceMaxMembers: 1000, presenceSyncMs: 300 });
    const env = { PRESENCE_TTL_MS: '3000', PRESENCE_HEARTBEAT_MS: '1000', PRESENCE_MAX_MEMBERS: '10', PRESENCE_SYNC_MS: '0' };
    expect(loadConfig(env)).toMatchObject({ presenceTtlMs: 3000, presenceHeartbeatMs: 1000, presenceMaxMembers: 10, presenceSyncMs: 0 });
    const documented = CONFIG_SETTINGS.filter((setting) => setting.env.startsWith('PRESENCE_'));
    expect(documented.map((setting) => [setting.env, setting.default])).toEqual([
      ['PRESENCE_TTL_MS', '15000'],
      ['PRESENCE_HEARTBEAT_MS', '5000'],
      ['PRESENCE_MAX_MEMBERS', '1000'],
      ['PRESENCE_SYNC_MS', '300'],
    ]);
  });

  it('refuse a heartbeat that is not shorter than the TTL', () => {
    expect(configError({ PRESENCE_HEARTBEAT_MS: '15000' })).toContain('PRESENCE_HEARTBEAT_MS=15000 must be less than PRESENCE_TTL_MS=15000');
    expect(configError({ PRESENCE_TTL_MS: '2000' })).toContain('PRESENCE_HEARTBEAT_MS=5000 must be less than PRESENCE_TTL_MS=2000');
    expect(loadConfig({ PRESENCE_TTL_MS: '2000', PRESENCE_HEARTBEAT_MS: '1999' }).presenceHeartbeatMs).toBe(1999);
  });

  it('refuse values out of range, naming the variable', () => {
    expect(configError({ PRESENCE_TTL_MS: '10' })).toContain('PRESENCE_TTL_MS="10" is not valid');
    expect(configError({ PRESENCE_MAX_MEMBERS: '0' })).toContain('PRESENCE_MAX_MEMBERS="0" is not valid');
    expect(configError({ PRESENCE_SYNC_MS: '-1' })).toContain('PRESENCE_SYNC_MS="-1" is not valid');
    expect(configError({ PRESENCE_HEARTBEAT_MS: 'often' })).toContain('PRESENCE_HEARTBEAT_MS="often" is not valid');
  });

  it('are listed in --help with their defaults, and a bad pair stops the process with a configuration error', async () => {
    const help = spawnServer({}, ['--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toMatch(/^ {2}PRESENCE_TTL_MS +.*\(default: 15000\)$/m);
    expect(help.stdout()).toMatch(/^ {2}PRESENCE_HEARTBEAT_MS +.*\(default: 5000\)$/m);
    const bad = spawnServer({ PORT: '0', PRESENCE_TTL_MS: '1000', PRESENCE_HEARTBEAT_MS: '2000' });
    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toMatch(/^configuration error: PRESENCE_HEARTBEAT_MS=2000 must be less than PRESENCE_TTL_MS=1000/);
  }, 30_000);

  it('are checked again when a config object skips loadConfig', async () => {
    const start = startServer({ env: {}, config: { port: 0, presenceTtlMs: 1000, presenceHeartbeatMs: 1000 }, logger: pino({ level: 'silent' }) });
    await expect(start).rejects.toMatchObject({ reason: 'config', message: expect.stringContaining('PRESENCE_HEARTBEAT_MS=1000 must be less than PRESENCE_TTL_MS=1000') });
  });
});
