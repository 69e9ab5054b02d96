import { describe, expect, it } from 'vitest';
import { setting } from '../src/driver/settings-kinds.js';
import { describeSettings, maskUrlPasswords } from '../src/driver/settings-redaction.js';
import { defineSettings } from '../src/driver/settings-table.js';

describe('maskUrlPasswords', () => {
  it.each([
    ['redis://user:hunter2@cache:6379', 'redis://user:***@cache:6379'],
    ['rediss://:hunter2@cache:6380/2', 'rediss://:***@cache:6380/2'],
    ['redis://a:one@h1:1,redis://b:two@h2:2', 'redis://a:***@h1:1,redis://b:***@h2:2'],
    ['redis://cache:6379', 'redis://cache:6379'],
    ['127.0.0.1:9092,127.0.0.1:9093', '127.0.0.1:9092,127.0.0.1:9093'],
    ['plain text', 'plain text'],
  ])('%s shows as %s', (value, shown) => {
    expect(maskUrlPasswords(value)).toBe(shown);
  });
});

describe('describing settings for the log', () => {
  const table = defineSettings({
    url: setting.string({ env: 'NATS_URL', default: 'nats://127.0.0.1:4222', description: 'Server.' }),
    seed: setting.string({ env: 'NATS_NKEY_SEED', description: 'NKey seed.', secret: true }),
    user: setting.string({ env: 'NATS_USER', description: 'User.', secret: true }),
    passwordHint: setting.string({ env: 'NATS_PASSWORD_POLICY', default: 'strict', description: 'Not a secret, despite its name.' }),
    maxPending: setting.integer({ env: 'NATS_MAX_PENDING', default: 100, min: 1, max: 1000, description: 'Queue.' }),
  });

  it('masks by the secret flag: a name the old pattern missed is hidden, a secret-looking name that is not flagged is shown', () => {
    const described = table.describe({ NATS_NKEY_SEED: 'SUAM-very-secret', NATS_USER: 'alice', NATS_PASSWORD_POLICY: 'lax', NATS_URL: 'nats://bob:hunter2@nats:4222' });
    expect(described).toEqual({
      NATS_URL: 'nats://bob:***@nats:4222',
      NATS_NKEY_SEED: '***',
      NATS_USER: '***',
      NATS_PASSWORD_POLICY: 'lax',
      NATS_MAX_PENDING: '100',
    });
    expect(JSON.stringify(described)).not.toMatch(/very-secret|alice|hunter2/);
  });

  it('shows an unset secret as empty, so the log tells it is not set', () => {
    expect(table.describe({})).toMatchObject({ NATS_NKEY_SEED: '', NATS_USER: '', NATS_URL: 'nats://127.0.0.1:4222' });
  });

  it('falls back to the old name pattern for a driver that flags no setting, so nothing it hid becomes visible', () => {
    const legacy = [
      { env: 'TEAM_SASL_PASSWORD', default: '', description: '' },
      { env: 'TEAM_API_KEY', default: '', description: '' },
      { env: 'TEAM_URL', default: '', description: '' },
    ];
    const env = { TEAM_SASL_PASSWORD: 'hunter2', TEAM_API_KEY: 'k-123', TEAM_URL: 'redis://u:hunter2@h:1' };
    expect(describeSettings(legacy, env)).toEqual({ TEAM_SASL_PASSWORD: '***', TEAM_API_KEY: '***', TEAM_URL: 'redis://u:***@h:1' });
  });

  it('trusts the flags once any setting carries one', () => {
    const flagged = [
      { env: 'TEAM_SASL_MECHANISM', default: 'plain', description: '', secret: false },
      { env: 'TEAM_NKEY_SEED', default: '', description: '', secret: true },
      { env: 'TEAM_OTHER', default: 'x', description: '' },
    ];
    expect(describeSettings(flagged, { TEAM_NKEY_SEED: 'seed' })).toEqual({ TEAM_SASL_MECHANISM: 'plain', TEAM_NKEY_SEED: '***', TEAM_OTHER: 'x' });
  });
});
