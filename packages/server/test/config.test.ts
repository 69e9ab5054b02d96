import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { describeDriverSettings } from '../src/driver-settings.js';
import { helpText } from '../src/help-text.js';
import { loadConfig, startServer } from '../src/index.js';
import { configErrorOf } from './support/config-error.js';

const configError = (env: Record<string, string>): string => configErrorOf(() => loadConfig(env));

describe('configuration', () => {
  it('has documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      bus: 'memory',
      maxFrameBytes: 65536,
      sendBufferLimitBytes: 1048576,
      sendCoalesceMs: 0,
      heartbeatIntervalMs: 30000,
      maxSubscriptionsPerConnection: 100,
      logLevel: 'info',
    });
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig({ PORT: '9000', HOST: '127.0.0.1', BUS: 'kafka', LOG_LEVEL: 'DEBUG', INSTANCE_ID: 'eu-1', MAX_FRAME_BYTES: '2048' });
    expect(config).toMatchObject({ port: 9000, host: '127.0.0.1', bus: 'kafka', logLevel: 'debug', instanceId: 'eu-1', maxFrameBytes: 2048 });
  });

  it('names the variable and the expected value when one is bad', () => {
    expect(configError({ PORT: 'eighty' })).toBe('PORT="eighty" is not valid: expected a whole number from 0 to 65535');
    expect(configError({ PORT: '70000' })).toContain('PORT="70000"');
    expect(configError({ LOG_LEVEL: 'loud' })).toContain('LOG_LEVEL="loud" is not valid: expected one of trace, debug');
    expect(configError({ MAX_FRAME_BYTES: '12' })).toContain('MAX_FRAME_BYTES="12"');
    expect(configError({ SEND_COALESCE_MS: '5000' })).toContain('SEND_COALESCE_MS="5000" is not valid: expected a whole number from 0 to 1000');
    expect(loadConfig({ SEND_COALESCE_MS: '5' }).sendCoalesceMs).toBe(5);
    expect(configError({ HEARTBEAT_INTERVAL_MS: '-5' })).toContain('HEARTBEAT_INTERVAL_MS');
  });

  it("rejects an unknown BUS with the driver registry's message", async () => {
    const start = startServer({ env: { BUS: 'no-such-driver' }, config: { port: 0 }, logger: pino({ level: 'silent' }) });
    await expect(start).rejects.toMatchObject({ reason: 'config', message: expect.stringContaining('BUS=no-such-driver: could not load driver package') });
  });

  it('hides secrets when describing driver settings', () => {
    const settings = [
      { env: 'REDIS_URL', default: 'redis://localhost:6379', description: '' },
      { env: 'KAFKA_SASL_PASSWORD', default: '', description: '' },
      { env: 'KAFKA_CLIENT_ID', default: 'app', description: '' },
    ];
    const env = { REDIS_URL: 'redis://user:hunter2@cache:6379', KAFKA_SASL_PASSWORD: 'hunter2' };
    const described = describeDriverSettings(settings, env);
    expect(described).toEqual({ REDIS_URL: 'redis://user:***@cache:6379', KAFKA_SASL_PASSWORD: '***', KAFKA_CLIENT_ID: 'app' });
  });

  it('hides a driver setting by its secret flag, also one whose name looks harmless, and marks it in --help', () => {
    const settings = [
      { env: 'NATS_NKEY_SEED', default: '', description: 'NKey seed.', secret: true },
      { env: 'NATS_URL', default: 'nats://127.0.0.1:4222', description: 'Server.', secret: false },
    ];
    expect(describeDriverSettings(settings, { NATS_NKEY_SEED: 'SUAM-seed' })).toEqual({ NATS_NKEY_SEED: '***', NATS_URL: 'nats://127.0.0.1:4222' });
    const help = helpText([], 'nats', settings);
    expect(help).toMatch(/^ {2}NATS_NKEY_SEED +NKey seed\. \(default: \) \[secret: never logged\]$/m);
    expect(help).toMatch(/^ {2}NATS_URL +Server\. \(default: nats:\/\/127\.0\.0\.1:4222\)$/m);
  });

  it('hides the SASL password of the built-in Kafka driver by its flag', async () => {
    const { driver } = await import('@app/driver-kafka');
    const described = describeDriverSettings(driver.settings, { KAFKA_SASL_PASSWORD: 'hunter2', KAFKA_SASL_USERNAME: 'app', KAFKA_BROKERS: 'b:9092' });
    expect(described).toMatchObject({ KAFKA_SASL_PASSWORD: '***', KAFKA_SASL_USERNAME: '***', KAFKA_BROKERS: 'b:9092' });
    expect(driver.settings.find((setting) => setting.env === 'KAFKA_SASL_PASSWORD')?.secret).toBe(true);
  });
});
