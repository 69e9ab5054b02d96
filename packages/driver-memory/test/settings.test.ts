import { isBusError, silentLogger } from '@app/core';
import { describe, expect, it } from 'vitest';
import { createMemoryBus, driver } from '../src/index.js';

function configError(env: Record<string, string>): Error {
  try {
    driver.create(env, { logger: silentLogger });
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected a config error for ${JSON.stringify(env)}`);
}

describe('memory driver settings', () => {
  it('lists the documented variables and defaults for --help', () => {
    expect(driver.settings.map(({ env, default: fallback }) => [env, fallback])).toEqual([
      ['MEMORY_HISTORY_PER_CHANNEL', '1000'],
      ['MEMORY_HISTORY_TOTAL', '100000'],
      ['MEMORY_MAX_PAYLOAD_BYTES', '1048576'],
    ]);
    expect(driver.settings.every((setting) => setting.secret === false)).toBe(true);
  });

  it.each([
    ['MEMORY_HISTORY_PER_CHANNEL', '0', 'expected a whole number from 1 to 1000000'],
    ['MEMORY_HISTORY_TOTAL', 'lots', 'expected a whole number from 1 to 10000000'],
    ['MEMORY_MAX_PAYLOAD_BYTES', '100', 'expected a whole number from 1024 to 67108864'],
  ])('%s=%s is a config error naming the variable', (name, value, expected) => {
    const error = configError({ [name]: value });
    expect(isBusError(error) && error.reason).toBe('config');
    expect(error.message).toBe(`${name}=${JSON.stringify(value)} is not valid: ${expected}`);
  });

  it('takes the variables: a payload limit from the environment is enforced', async () => {
    const bus = await driver.create({ MEMORY_MAX_PAYLOAD_BYTES: '2048' }, { logger: silentLogger });
    expect(bus.limits.maxPayloadBytes).toBe(2048);
    await bus.close();
    const defaults = createMemoryBus();
    expect(defaults.limits.maxPayloadBytes).toBe(1048576);
    await defaults.close();
  });
});
