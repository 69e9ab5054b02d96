import { describe, expect, expectTypeOf, it } from 'vitest';
import { setting } from '../src/driver/settings-kinds.js';
import { defineSettings } from '../src/driver/settings-table.js';
import { isBusError, type BusError } from '../src/index.js';

const NAME = /^[a-z]{1,5}$/;

const table = defineSettings({
  url: setting.string({ env: 'T_URL', default: 'echo://localhost', description: 'Where.', check: (value) => (value.includes('://') ? undefined : 'expected scheme://host') }),
  name: setting.string({ env: 'T_NAME', description: 'A name.', check: (value) => (NAME.test(value) ? undefined : 'expected 1 to 5 small letters') }),
  token: setting.string({ env: 'T_TOKEN', description: 'Access token.', secret: true, raw: true, check: (value) => (value.length >= 4 ? undefined : 'expected 4 characters or more') }),
  count: setting.integer({ env: 'T_COUNT', default: 3, min: 1, max: 10, description: 'How many.' }),
  waitMs: setting.duration({ env: 'T_WAIT_MS', default: 500, min: 0, max: 60_000, description: 'How long.' }),
  replicas: setting.integer({ env: 'T_REPLICAS', min: 1, max: 5, description: 'No default.', defaultText: 'min(3, live)' }),
  enabled: setting.boolean({ env: 'T_ENABLED', default: true, description: 'On or off.' }),
  hosts: setting.list({ env: 'T_HOSTS', default: ['a:1'], description: 'Hosts.', check: (hosts) => (hosts.length > 0 ? undefined : 'expected at least one host') }),
  level: setting.choice(['low', 'high'], { env: 'T_LEVEL', default: 'low', description: 'Level.' }),
  only: setting.boolean({ env: 'T_ONLY', description: 'From the environment only.', envOnly: true }),
  retries: setting.integer({ default: 2, min: 0, description: 'Set in code only.' }),
});

function configError(env: Record<string, string>): BusError {
  try {
    table.fromEnv(env);
  } catch (error) {
    if (isBusError(error)) return error;
    throw error;
  }
  throw new Error(`expected a config error for ${JSON.stringify(env)}`);
}

function optionsError(options: Parameters<typeof table.resolve>[0]): BusError {
  try {
    table.resolve(options, 'createTestBus');
  } catch (error) {
    if (isBusError(error)) return error;
    throw error;
  }
  throw new Error(`expected invalid_options for ${JSON.stringify(options)}`);
}

describe('a settings table: the environment', () => {
  it('applies defaults, and leaves out rows without one whose variable is unset', () => {
    expect(table.fromEnv({})).toEqual({ url: 'echo://localhost', count: 3, waitMs: 500, enabled: true, hosts: ['a:1'], level: 'low' });
  });

  it('parses every kind, trims values, and takes a raw string as given', () => {
    const values = table.fromEnv({
      T_URL: ' redis://x ', T_NAME: 'abc', T_TOKEN: '  s3cr ', T_COUNT: '10', T_WAIT_MS: '0', T_REPLICAS: '2',
      T_ENABLED: 'off', T_HOSTS: 'h:1, ,h:2', T_LEVEL: 'HIGH', T_ONLY: 'yes',
    });
    expect(values).toEqual({
      url: 'redis://x', name: 'abc', token: '  s3cr ', count: 10, waitMs: 0, replicas: 2, enabled: false, hosts: ['h:1', 'h:2'], level: 'high', only: true,
    });
  });

  it('counts a blank variable as unset', () => {
    expect(table.fromEnv({ T_COUNT: '  ', T_NAME: '' })).toEqual(table.fromEnv({}));
  });

  it.each([
    [{ T_COUNT: 'three' }, 'T_COUNT="three" is not valid: expected a whole number from 1 to 10'],
    [{ T_COUNT: '11' }, 'T_COUNT="11" is not valid: expected a whole number from 1 to 10'],
    [{ T_COUNT: '1.5' }, 'T_COUNT="1.5" is not valid'],
    [{ T_WAIT_MS: '-1' }, 'T_WAIT_MS="-1" is not valid: expected a whole number from 0 to 60000'],
    [{ T_ENABLED: 'maybe' }, 'T_ENABLED="maybe" is not valid: expected true or false'],
    [{ T_LEVEL: 'mid' }, 'T_LEVEL="mid" is not valid: expected one of low, high'],
    [{ T_NAME: 'Bob' }, 'T_NAME="Bob" is not valid: expected 1 to 5 small letters'],
    [{ T_HOSTS: ' , ' }, 'T_HOSTS=[] is not valid: expected at least one host'],
  ])('%j is a config error naming the variable and what is wrong', (env, message) => {
    const error = configError(env);
    expect(error.reason).toBe('config');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain(message);
  });

  it('never puts a secret in an error, and masks the password of a URL', () => {
    const secret = configError({ T_TOKEN: 'abc' });
    expect(secret.message).toBe('T_TOKEN=<secret> is not valid: expected 4 characters or more');
    expect(configError({ T_URL: 'no-scheme' }).message).toContain('expected scheme://host');
    const withPassword = defineSettings({ url: setting.string({ env: 'U', description: '', check: () => 'expected something else' }) });
    expect(() => withPassword.fromEnv({ U: 'redis://user:hunter2@host:6379' })).toThrow('U="redis://user:***@host:6379" is not valid');
  });

  it('hides a secret quoted by a core parser', () => {
    const levels = defineSettings({ key: setting.choice(['a', 'b'], { env: 'K_SECRET_KIND', description: '', secret: true }) });
    expect(() => levels.fromEnv({ K_SECRET_KIND: 'hunter2' })).toThrow('K_SECRET_KIND=<secret> is not valid: expected one of a, b');
  });
});

describe('a settings table: options given in code', () => {
  it('applies every default, envOnly rows left out, rows without a default undefined', () => {
    expect(table.resolve({}, 'createTestBus')).toEqual({
      url: 'echo://localhost', name: undefined, token: undefined, count: 3, waitMs: 500, replicas: undefined, enabled: true,
      hosts: ['a:1'], level: 'low', retries: 2,
    });
    expect(table.resolve({ count: 7, retries: 1000, level: 'high' }, 'createTestBus')).toMatchObject({ count: 7, retries: 1000, level: 'high' });
  });

  it('throws invalid_options naming the factory and the option', () => {
    expect(optionsError({ count: 0 }).message).toBe('createTestBus: count must be a whole number from 1 to 10, got 0');
    expect(optionsError({ retries: -1 }).message).toBe('createTestBus: retries must be a whole number of 0 or more, got -1');
    expect(optionsError({ name: 'Bob' }).message).toBe('createTestBus: name is not valid: expected 1 to 5 small letters, got "Bob"');
    expect(optionsError({ hosts: [] }).message).toBe('createTestBus: hosts is not valid: expected at least one host, got []');
    expect(optionsError({ token: 'abc' }).message).toBe('createTestBus: token is not valid: expected 4 characters or more, got <secret>');
    expect(optionsError({ url: 'redis://u:hunter2@h' as string, count: 1.5 }).reason).toBe('invalid_options');
    // Values of the wrong type from untyped callers.
    expect(optionsError(JSON.parse('{"enabled":"yes"}') as Parameters<typeof table.resolve>[0]).message).toBe('createTestBus: enabled must be true or false, got "yes"');
    expect(optionsError(JSON.parse('{"level":"HIGH"}') as Parameters<typeof table.resolve>[0]).message).toBe('createTestBus: level must be one of low, high, got "HIGH"');
  });

  it('checks the logger every factory takes: an object with the four methods, or nothing', () => {
    const asOptions = (logger: unknown) => ({ logger }) as Parameters<typeof table.resolve>[0];
    expect(optionsError(asOptions('console')).message).toBe(
      'createTestBus: logger must be an object with debug, info, warn and error functions (pino\'s form), got string',
    );
    expect(optionsError(asOptions(null)).message).toContain('got null');
    expect(optionsError(asOptions({ info: () => {}, warn: () => {} })).message).toContain('got an object without debug, error');
    expect(optionsError(asOptions(42)).reason).toBe('invalid_options');
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    expect(() => table.resolve(asOptions(logger), 'createTestBus')).not.toThrow();
    expect(() => table.resolve(asOptions(Object.create(logger)), 'createTestBus')).not.toThrow();
  });

  it('refuses a table whose default fails its own check', () => {
    expect(() => defineSettings({ n: setting.integer({ default: 0, min: 1, max: 2, description: '' }) })).toThrow('the default of n must be a whole number from 1 to 2');
  });
});

describe('a settings table: --help lines and types', () => {
  it('lists the rows with a variable, in order, with default text and the secret flag', () => {
    expect(table.settings.map((row) => row.env)).toEqual(['T_URL', 'T_NAME', 'T_TOKEN', 'T_COUNT', 'T_WAIT_MS', 'T_REPLICAS', 'T_ENABLED', 'T_HOSTS', 'T_LEVEL', 'T_ONLY']);
    expect(table.settings[0]).toEqual({ env: 'T_URL', default: 'echo://localhost', description: 'Where.', secret: false });
    expect(table.settings.find((row) => row.env === 'T_TOKEN')).toMatchObject({ default: '', secret: true });
    expect(table.settings.find((row) => row.env === 'T_REPLICAS')?.default).toBe('min(3, live)');
    expect(table.settings.find((row) => row.env === 'T_HOSTS')?.default).toBe('a:1');
  });

  it('infers the value types from the rows', () => {
    const fromEnv = table.fromEnv({});
    expectTypeOf(fromEnv.count).toEqualTypeOf<number>();
    expectTypeOf(fromEnv.level).toEqualTypeOf<'low' | 'high'>();
    expectTypeOf(fromEnv.hosts).toEqualTypeOf<readonly string[]>();
    expectTypeOf(fromEnv.name).toEqualTypeOf<string | undefined>();
    expectTypeOf(fromEnv.only).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(fromEnv).not.toHaveProperty('retries');
    const resolved = table.resolve({}, 'x');
    expectTypeOf(resolved.retries).toEqualTypeOf<number>();
    expectTypeOf(resolved.replicas).toEqualTypeOf<number | undefined>();
    expectTypeOf(resolved.enabled).toEqualTypeOf<boolean>();
    expectTypeOf(resolved).not.toHaveProperty('only');
    // @ts-expect-error a choice outside the values does not type-check
    const wrongChoice = () => table.resolve({ level: 'mid' }, 'x');
    expect(wrongChoice).toThrow('level must be one of low, high');
  });
});
