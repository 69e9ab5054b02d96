import { silentLogger, type MessageBus } from '@app/core';
import { describeSettings } from '@app/core/driver';
import { Inbox } from '@app/core/testing';
import { createKafkaBus, driver } from '@app/driver-kafka';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testBrokers, uniqueName } from './bus-factory.js';
import './harness/provided.js';
import { cleanUpPrefix, withAdmin } from './raw-kafka.js';
import { failure } from './tls-support.js';

const topicPrefix = `${uniqueName('cfg')}.`;
afterAll(() => cleanUpPrefix(topicPrefix));

async function roundTrip(bus: MessageBus): Promise<void> {
  const inbox = new Inbox();
  await bus.subscribe('sasl:check', inbox.handler);
  await bus.publish('sasl:check', 'hello');
  await inbox.waitFor(1, 20_000);
  expect(inbox.data).toEqual(['hello']);
}

describe('configuration from the environment', () => {
  it('works with just KAFKA_BROKERS', async () => {
    const bus = await driver.create({ KAFKA_BROKERS: testBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix }, { logger: silentLogger });
    try {
      expect(bus.driver).toBe('kafka');
      expect(bus.status()).toBe('ready');
      await roundTrip(bus);
    } finally {
      await bus.close();
    }
  });

  it('rejects bad values with a config error naming the variable', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ KAFKA_PARTITIONS: 'four' }, 'KAFKA_PARTITIONS'],
      [{ KAFKA_PARTITIONS: '0' }, 'KAFKA_PARTITIONS'],
      [{ KAFKA_REPLICATION_FACTOR: '-1' }, 'KAFKA_REPLICATION_FACTOR'],
      [{ KAFKA_SSL: 'maybe' }, 'KAFKA_SSL'],
      [{ KAFKA_SASL_MECHANISM: 'kerberos' }, 'KAFKA_SASL_MECHANISM'],
      [{ KAFKA_SASL_MECHANISM: 'plain' }, 'KAFKA_SASL_USERNAME'],
      [{ KAFKA_SASL_USERNAME: 'app' }, 'KAFKA_SASL_MECHANISM'],
      [{ KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, 'KAFKA_SSL_CA_FILE'],
      [{ KAFKA_CLIENT_ID: 'has space' }, 'KAFKA_CLIENT_ID'],
      [{ KAFKA_BROKERS: 'no-port' }, 'KAFKA_BROKERS'],
      [{ KAFKA_TOPIC_PREFIX: 'a/b' }, 'KAFKA_TOPIC_PREFIX'],
      [{ KAFKA_LOG_LEVEL: 'loud' }, 'KAFKA_LOG_LEVEL'],
      [{ KAFKA_LINGER_MS: 'soon' }, 'KAFKA_LINGER_MS'],
      [{ KAFKA_LINGER_MS: '5000' }, 'KAFKA_LINGER_MS'],
      [{ KAFKA_BATCH_MAX_BYTES: '10' }, 'KAFKA_BATCH_MAX_BYTES'],
      [{ KAFKA_SSL_CERT_FILE: '/nonexistent/client.pem' }, 'KAFKA_SSL_KEY_FILE'],
      [{ KAFKA_SSL_KEY_FILE: '/nonexistent/client.key' }, 'KAFKA_SSL_CERT_FILE'],
      [{ KAFKA_SSL_CERT_FILE: '/nonexistent/client.pem', KAFKA_SSL_KEY_FILE: '/nonexistent/client.key' }, 'KAFKA_SSL_CERT_FILE=/nonexistent/client.pem cannot be read'],
      [{ KAFKA_SSL: 'false', KAFKA_SSL_SERVERNAME: 'kafka.example.com' }, 'KAFKA_SSL_SERVERNAME'],
      [{ KAFKA_SASL_MECHANISM: 'oauthbearer' }, 'KAFKA_OAUTH_TOKEN_COMMAND, KAFKA_OAUTH_TOKEN_FILE or KAFKA_OAUTH_TOKEN'],
      [{ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_FILE: '/t', KAFKA_OAUTH_TOKEN: 'x' }, 'KAFKA_OAUTH_TOKEN_FILE and KAFKA_OAUTH_TOKEN are both set'],
      [{ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN: 'x', KAFKA_SASL_USERNAME: 'app' }, 'KAFKA_SASL_USERNAME'],
      [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'p', KAFKA_OAUTH_TOKEN: 'x' }, 'KAFKA_OAUTH_TOKEN'],
      [{ KAFKA_OAUTH_TOKEN_COMMAND: 'print-token' }, 'KAFKA_SASL_MECHANISM'],
    ];
    for (const [env, key] of cases) {
      const error = await failure(async () => driver.create({ KAFKA_BROKERS: testBrokers().join(','), ...env }, { logger: silentLogger }));
      expect(error.reason, JSON.stringify(env)).toBe('config');
      expect(error.message, JSON.stringify(env)).toContain(key);
    }
  });

  it('refuses a logger that is no logger with invalid_options, before connecting', async () => {
    const error = await failure(async () => createKafkaBus({ brokers: testBrokers(), topicPrefix, logger: 'console' as never }));
    expect(error.reason).toBe('invalid_options');
    expect(error.message).toContain('createKafkaBus: logger must be an object');
  });

  it('never puts the SASL password in an error or the settings it logs', async () => {
    const env = { KAFKA_BROKERS: testBrokers().join(','), KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'hunter2' };
    const error = await failure(async () => driver.create(env, { logger: silentLogger }));
    expect(error.message).toContain('KAFKA_SASL_MECHANISM');
    expect(error.message).not.toContain('hunter2');
    const secret = driver.settings.filter((setting) => setting.secret === true).map((setting) => setting.env);
    // The token command is secret too: it may carry a client secret (curl -d client_secret=...).
    expect(secret).toEqual(['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_OAUTH_TOKEN_COMMAND', 'KAFKA_OAUTH_TOKEN']);
    const logged = describeSettings(driver.settings, { KAFKA_OAUTH_TOKEN_COMMAND: 'get-token --client-secret hunter3' });
    expect(JSON.stringify(logged)).not.toContain('hunter3');
  });

  it('never puts a fixed OAUTHBEARER token in an error', async () => {
    const env = { KAFKA_BROKERS: testBrokers().join(','), KAFKA_OAUTH_TOKEN: 'token-hunter2' };
    const error = await failure(async () => driver.create(env, { logger: silentLogger }));
    expect(error.message).toContain('KAFKA_OAUTH_TOKEN is set but KAFKA_SASL_MECHANISM is not');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('cluster checks at start-up', () => {
  it('refuses a replication factor above the live brokers with a config error that says how many are up', async () => {
    const live = await withAdmin(async (admin) => (await admin.describeCluster()).brokers.length);
    const error = await failure(() => createKafkaBus({ brokers: testBrokers(), topicPrefix, replicationFactor: live + 1 }));
    expect(error.reason).toBe('config');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain(`only ${live} broker`);
  });

  it('fails fast with a retryable not_connected error when no broker answers', async () => {
    const error = await failure(() => createKafkaBus({ brokers: ['127.0.0.1:1'], connectTimeoutMs: 5000, connectionTimeoutMs: 500 }));
    expect(['not_connected', 'timeout']).toContain(error.reason);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('127.0.0.1:1');
  });
});

describe('SASL', () => {
  const sasl = inject('kafkaSasl');
  const mechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

  for (const mechanism of mechanisms) {
    it(`connects with ${mechanism}`, async () => {
      if (sasl === null) throw new Error(`no SASL listener to test against: ${inject('kafkaSaslMissing')}`);
      const bus = await createKafkaBus({ brokers: sasl.brokers.split(','), topicPrefix, sasl: { mechanism, username: sasl.username, password: sasl.password } });
      try {
        await roundTrip(bus);
      } finally {
        await bus.close();
      }
    });
  }

  it('connects with SASL configured by the KAFKA_SASL_* variables (mechanism in any case)', async () => {
    if (sasl === null) throw new Error(`no SASL listener to test against: ${inject('kafkaSaslMissing')}`);
    const env = { KAFKA_BROKERS: sasl.brokers, KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: sasl.username, KAFKA_SASL_PASSWORD: sasl.password };
    const bus = await driver.create(env, { logger: silentLogger });
    try {
      await roundTrip(bus);
    } finally {
      await bus.close();
    }
    const wrong = await failure(async () => driver.create({ ...env, KAFKA_SASL_PASSWORD: 'wrong-password' }, { logger: silentLogger }));
    expect(wrong.reason).toBe('unauthorized');
  });

  it('refuses a wrong password with a non-retryable unauthorized error, without hanging', async () => {
    if (sasl === null) throw new Error(`no SASL listener to test against: ${inject('kafkaSaslMissing')}`);
    for (const mechanism of mechanisms) {
      const error = await failure(() =>
        createKafkaBus({ brokers: sasl.brokers.split(','), topicPrefix, sasl: { mechanism, username: sasl.username, password: 'wrong-password' } }),
      );
      expect(error.reason, mechanism).toBe('unauthorized');
      expect(error.isRetryable, mechanism).toBe(false);
      expect(error.message, mechanism).toContain('KAFKA_SASL');
    }
  });
});
