import { isBusError, silentLogger } from '@app/core';
import { describeSettings } from '@app/core/driver';
import { expectBusError, Inbox } from '@app/core/testing';
import { describe, expect, inject, it } from 'vitest';
import { createRedisBus, driver } from '../src/index.js';
import { deleteKeys, uniquePrefix, waitUntil } from './support/test-bus.js';

function configError(env: Record<string, string>): Error {
  try {
    driver.create(env, { logger: silentLogger });
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected a config error for ${JSON.stringify(env)}`);
}

describe('redis driver configuration', () => {
  it('lists its settings with defaults', () => {
    const names = driver.settings.map((setting) => setting.env);
    expect(names).toEqual(expect.arrayContaining(['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_STREAM_MAXLEN', 'REDIS_PING_INTERVAL_MS', 'REDIS_CLAIM_IDLE_MS']));
    expect(driver.settings.find((setting) => setting.env === 'REDIS_URL')?.default).toBe('redis://127.0.0.1:6379');
  });

  it.each([
    ['REDIS_PING_INTERVAL_MS', 'soon'],
    ['REDIS_PING_INTERVAL_MS', '-5'],
    ['REDIS_STREAM_MAXLEN', '1.5'],
    ['REDIS_CLAIM_IDLE_MS', '0'],
    ['REDIS_KEY_PREFIX', 'has{brace}'],
    ['REDIS_CLIENT_NAME', 'with space'],
    ['REDIS_PERSISTENT', 'maybe'],
  ])('%s=%s is a config error naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(isBusError(error) && error.reason).toBe('config');
    expect(error.message).toContain(name);
  });

  it('a bad REDIS_URL is a config error that names the variable and hides the password', () => {
    const error = configError({ REDIS_URL: 'http://user:s3cret@host:6379' });
    expect(isBusError(error) && error.reason).toBe('config');
    expect(error.message).toContain('REDIS_URL');
    expect(error.message).not.toContain('s3cret');
  });

  it('logs its settings with the URL password masked and flags no setting secret', () => {
    const described = describeSettings(driver.settings, { REDIS_URL: 'rediss://:hunter2@cache:6380/2', REDIS_KEY_PREFIX: 'staging:' });
    expect(described).toMatchObject({ REDIS_URL: 'rediss://:***@cache:6380/2', REDIS_KEY_PREFIX: 'staging:', REDIS_STREAM_MAXLEN: '10000' });
    expect(driver.settings.every((setting) => setting.secret === false)).toBe(true);
  });

  it('bad factory options are rejected with invalid_options before connecting', async () => {
    await expectBusError(async () => createRedisBus({ pingIntervalMs: 0 }), 'invalid_options');
    await expectBusError(async () => createRedisBus({ url: 'tcp://x' }), 'invalid_options');
    await expectBusError(async () => createRedisBus({ keyPrefix: 'a{b}' }), 'invalid_options');
    const badLogger = await expectBusError(async () => createRedisBus({ logger: 'console' as never }), 'invalid_options');
    expect(badLogger.message).toContain('createRedisBus: logger must be an object');
  });

  it('creates a working bus from just REDIS_URL (plus a prefix for test isolation)', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('env');
    const bus = await driver.create({ REDIS_URL: url, REDIS_KEY_PREFIX: prefix }, { logger: silentLogger });
    try {
      expect(bus.driver).toBe('redis');
      await waitUntil(() => bus.status() === 'ready', 10_000, 'the bus made from the environment to be ready');
      const inbox = new Inbox();
      await bus.subscribe('env:check', inbox.handler);
      await bus.publish('env:check', { ok: true });
      await inbox.waitFor(1, 10_000);
      expect(inbox.data).toEqual([{ ok: true }]);
    } finally {
      await bus.close();
      await deleteKeys(url, prefix);
    }
  });
});
