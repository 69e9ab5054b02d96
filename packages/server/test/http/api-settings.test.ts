import type { Env } from '@app/core';
import { createMemoryBus } from '@app/driver-memory';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { API_SETTINGS, MIN_API_KEY_LENGTH, loadApiSettings } from '../../src/http/api-keys.js';
import { startServer } from '../../src/index.js';
import { configErrorOf } from '../support/config-error.js';
import { KEY, OTHER_KEY } from './support/api-client.js';

const configError = (env: Env): string => configErrorOf(() => loadApiSettings(env));

describe('API settings', () => {
  it('is off without keys, and /metrics stays open by default', () => {
    expect(loadApiSettings({})).toEqual({ keys: undefined, metricsRequireKey: false });
    expect(loadApiSettings({ API_KEYS: '  ' }).keys).toBeUndefined();
  });

  it('reads API_KEYS as a comma-separated list and API_KEY as one key', () => {
    expect(loadApiSettings({ API_KEYS: `${KEY} , ${OTHER_KEY},` }).keys?.count).toBe(2);
    const single = loadApiSettings({ API_KEY: KEY }).keys;
    expect(single?.check(`Bearer ${KEY}`)).toBe('ok');
    expect(single?.check(`bearer   ${KEY}`)).toBe('ok');
    expect(single?.check(`Bearer ${OTHER_KEY}`)).toBe('invalid');
    expect(single?.check(`Bearer ${KEY}x`)).toBe('invalid');
    expect(single?.check(`Bearer ${KEY.slice(0, -1)}`)).toBe('invalid');
    expect(single?.check(KEY)).toBe('missing');
    expect(single?.check(undefined)).toBe('missing');
  });

  it('refuses a key shorter than 16 characters, saying which one and never what it is', () => {
    const short = 'short-key-123';
    const message = configError({ API_KEYS: `${KEY},${short}` });
    expect(message).toContain('API_KEYS');
    expect(message).toContain('key 2 of 2');
    expect(message).toContain(`at least ${MIN_API_KEY_LENGTH}`);
    expect(message).not.toContain(short);
    expect(message).not.toContain(KEY);
    const alias = configError({ API_KEY: short });
    expect(alias).toContain('API_KEY');
    expect(alias).not.toContain(short);
  });

  it('refuses a key with a character an Authorization header cannot carry', () => {
    const message = configError({ API_KEYS: 'a key with spaces inside it' });
    expect(message).toContain('visible ASCII');
    expect(message).not.toContain('spaces inside');
    expect(configError({ API_KEY: `${KEY}é` })).toContain('the key in API_KEY holds');
  });

  it('refuses API_KEYS and API_KEY set together', () => {
    const message = configError({ API_KEYS: KEY, API_KEY: OTHER_KEY });
    expect(message).toContain('API_KEYS and API_KEY are both set');
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(OTHER_KEY);
  });

  it('refuses API_KEYS holding only commas', () => {
    expect(configError({ API_KEYS: ' , ,' })).toContain('API_KEYS is set but holds no key');
  });

  it('refuses METRICS_REQUIRE_API_KEY=true without keys, and a value that is not a boolean', () => {
    expect(configError({ METRICS_REQUIRE_API_KEY: 'true' })).toContain('METRICS_REQUIRE_API_KEY is true but no API key is set');
    expect(configError({ API_KEYS: KEY, METRICS_REQUIRE_API_KEY: 'maybe' })).toContain('METRICS_REQUIRE_API_KEY');
    expect(loadApiSettings({ API_KEYS: KEY, METRICS_REQUIRE_API_KEY: 'true' }).metricsRequireKey).toBe(true);
    expect(loadApiSettings({ METRICS_REQUIRE_API_KEY: 'false' }).metricsRequireKey).toBe(false);
  });

  it('stops the server start on a bad setting, before the server listens', async () => {
    const bus = createMemoryBus();
    try {
      await expect(startServer({ env: { API_KEY: 'too-short' }, config: { port: 0, host: '127.0.0.1' }, bus, logger: pino({ level: 'silent' }) })).rejects.toMatchObject({
        reason: 'config',
        message: expect.stringContaining('API_KEY'),
      });
    } finally {
      await bus.close();
    }
  });

  it('documents every variable it reads for --help', () => {
    expect(API_SETTINGS.map((setting) => setting.env)).toEqual(['API_KEYS', 'API_KEY', 'METRICS_REQUIRE_API_KEY']);
    expect(API_SETTINGS.find((setting) => setting.env === 'METRICS_REQUIRE_API_KEY')?.default).toBe('false');
  });
});
