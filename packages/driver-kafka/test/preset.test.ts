import { BusError, isBusError } from '@app/core';
import { createKafkaBus, driver } from '@app/driver-kafka';
import { describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../src/driver.js';
import type { KafkaBusOptions } from '../src/options.js';
import { resolveOptions } from '../src/resolve-options.js';

const KEY = 'ABCDEFGH12345678';
const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQ-not-a-real-one';
const CONFLUENT = {
  KAFKA_PRESET: 'confluent-cloud',
  KAFKA_BROKERS: 'pkc-12345.europe-west1.gcp.confluent.cloud:9092',
  KAFKA_SASL_USERNAME: KEY,
  KAFKA_SASL_PASSWORD: SECRET,
};
const CONNECTION_STRING = 'Endpoint=sb://my-space.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=dGhpcyBpcyBhIHRlc3Q=';
const EVENT_HUBS = {
  KAFKA_PRESET: 'azure-event-hubs',
  KAFKA_BROKERS: 'my-space.servicebus.windows.net:9093',
  KAFKA_SASL_USERNAME: '$ConnectionString',
  KAFKA_SASL_PASSWORD: CONNECTION_STRING,
};

/** The `config` error `action` throws; fails the test on anything else. */
function configError(action: () => unknown): BusError {
  try {
    action();
  } catch (error) {
    if (!isBusError(error)) throw error;
    expect(error.reason).toBe('config');
    expect(error.isRetryable).toBe(false);
    return error;
  }
  throw new Error('expected a config error');
}

/** The error of the env path, checked to quote none of the secrets given. */
function envError(env: Record<string, string>): string {
  const { message } = configError(() => optionsFromEnv(env));
  for (const secret of [KEY, SECRET, CONNECTION_STRING, 'dGhpcyBpcyBhIHRlc3Q=', env['KAFKA_SASL_PASSWORD'], env['KAFKA_SASL_USERNAME']]) {
    if (secret !== undefined && secret !== '' && secret !== '$ConnectionString') expect(message).not.toContain(secret.trim());
  }
  return message;
}

describe('KAFKA_PRESET=confluent-cloud', () => {
  it('turns TLS on, logs in with PLAIN, creates topics with 3 replicas and waits 45 s for a group member', () => {
    const options = resolveOptions(optionsFromEnv(CONFLUENT));
    expect(options).toMatchObject({
      preset: 'confluent-cloud', ssl: true, replicationFactor: 3, createTopics: true, sessionTimeoutMs: 45_000,
      maxPayloadBytes: 1_048_576, requestTimeoutMs: 30_000,
    });
    expect(options.sasl).toEqual({ mechanism: 'plain', username: KEY, password: SECRET });
  });

  it('keeps what the environment sets when the service can work with it', () => {
    const options = resolveOptions(optionsFromEnv({ ...CONFLUENT, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MAX_PAYLOAD_BYTES: '4194304', KAFKA_REQUEST_TIMEOUT_MS: '45000', KAFKA_SSL_SERVERNAME: 'localhost' }));
    expect(options).toMatchObject({ replicationFactor: 3, maxPayloadBytes: 4_194_304, requestTimeoutMs: 45_000, ssl: { servername: 'localhost' } });
  });

  it('takes a token instead of a key: the mechanism is oauthbearer when a KAFKA_OAUTH_TOKEN* variable is set', () => {
    const options = optionsFromEnv({ KAFKA_PRESET: 'confluent-cloud', KAFKA_BROKERS: CONFLUENT.KAFKA_BROKERS, KAFKA_OAUTH_TOKEN_COMMAND: 'echo token' });
    expect(options.sasl?.mechanism).toBe('oauthbearer');
    expect(options.ssl).toBe(true);
  });

  it.each([
    [{ KAFKA_BROKERS: '' }, /KAFKA_PRESET=confluent-cloud needs KAFKA_BROKERS to be the cluster's bootstrap server, <cluster>\.<region>\.<cloud>\.confluent\.cloud:9092; "127\.0\.0\.1:9092" is not/],
    [{ KAFKA_BROKERS: 'pkc-12345.europe-west1.gcp.confluent.cloud:9093' }, /needs KAFKA_BROKERS .* "pkc-12345\.europe-west1\.gcp\.confluent\.cloud:9093" is not/],
    [{ KAFKA_BROKERS: 'kafka.example.com:9092' }, /needs KAFKA_BROKERS .* "kafka\.example\.com:9092" is not/],
    [{ KAFKA_SASL_USERNAME: '' }, /^KAFKA_PRESET=confluent-cloud with KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME \(the API key\): create an API key/],
    [{ KAFKA_SASL_PASSWORD: '' }, /needs KAFKA_SASL_PASSWORD \(the API secret\)/],
    [{ KAFKA_SASL_PASSWORD: `${SECRET}\n` }, /^KAFKA_PRESET=confluent-cloud: KAFKA_SASL_PASSWORD starts or ends with white space \(a pasted newline\?\); remove it$/],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-512' }, /^KAFKA_SASL_MECHANISM=scram-sha-512 does not work with KAFKA_PRESET=confluent-cloud: Confluent Cloud takes plain \(API key and secret\) or oauthbearer$/],
    [{ KAFKA_SSL: 'false' }, /^KAFKA_SSL=false conflicts with KAFKA_PRESET=confluent-cloud: Confluent Cloud accepts TLS connections only$/],
    [{ KAFKA_REPLICATION_FACTOR: '2' }, /^KAFKA_REPLICATION_FACTOR=2 conflicts with KAFKA_PRESET=confluent-cloud: Confluent Cloud creates topics with 3 replicas only$/],
    [{ KAFKA_MAX_PAYLOAD_BYTES: String(16 * 1024 * 1024) }, /^KAFKA_MAX_PAYLOAD_BYTES=16777216 conflicts with KAFKA_PRESET=confluent-cloud: .*8 MiB.*; keep it at most 8323072$/],
  ])('refuses %o with a config error naming the variable', (change, message) => {
    expect(envError({ ...CONFLUENT, ...change })).toMatch(message);
  });

  it('names a bad preset', () => {
    expect(configError(() => optionsFromEnv({ ...CONFLUENT, KAFKA_PRESET: 'aws-msk' })).message).toContain('KAFKA_PRESET');
  });
});

describe('KAFKA_PRESET=azure-event-hubs', () => {
  it('turns TLS on, logs in as $ConnectionString, creates no topics, leaves replication to the service and keeps payloads and batches to 1,000,000 bytes', () => {
    const options = resolveOptions(optionsFromEnv(EVENT_HUBS));
    expect(options).toMatchObject({
      preset: 'azure-event-hubs', ssl: true, createTopics: false, replicationFactor: undefined, minInsyncReplicas: undefined,
      maxPayloadBytes: 1_000_000, batchMaxBytes: 524_288, requestTimeoutMs: 60_000, sessionTimeoutMs: 30_000,
    });
    expect(options.sasl).toEqual({ mechanism: 'plain', username: '$ConnectionString', password: CONNECTION_STRING });
  });

  it('keeps what the environment sets when the service can work with it', () => {
    const options = resolveOptions(optionsFromEnv({ ...EVENT_HUBS, KAFKA_CREATE_TOPICS: 'false', KAFKA_MAX_PAYLOAD_BYTES: '500000', KAFKA_REQUEST_TIMEOUT_MS: '90000', KAFKA_BATCH_MAX_BYTES: '262144' }));
    expect(options).toMatchObject({ createTopics: false, maxPayloadBytes: 500_000, requestTimeoutMs: 90_000, batchMaxBytes: 262_144 });
  });

  it('logs in with OAUTHBEARER (Entra ID) when a token variable is set, with no connection string', () => {
    const options = optionsFromEnv({ KAFKA_PRESET: 'azure-event-hubs', KAFKA_BROKERS: EVENT_HUBS.KAFKA_BROKERS, KAFKA_OAUTH_TOKEN_FILE: '/var/run/token' });
    expect(options.sasl?.mechanism).toBe('oauthbearer');
    expect(options).toMatchObject({ ssl: true, createTopics: false });
  });

  it.each([
    [{ KAFKA_BROKERS: 'my-space.servicebus.windows.net:9092' }, /^KAFKA_PRESET=azure-event-hubs needs KAFKA_BROKERS to be the namespace's Kafka endpoint, <namespace>\.servicebus\.windows\.net:9093; "my-space\.servicebus\.windows\.net:9092" is not$/],
    [{ KAFKA_SASL_USERNAME: '' }, /^KAFKA_PRESET=azure-event-hubs needs KAFKA_SASL_USERNAME to be the literal \$ConnectionString; it is empty or unset \(in a shell, put '\$ConnectionString' in single quotes\)$/],
    [{ KAFKA_SASL_USERNAME: 'admin' }, /^KAFKA_PRESET=azure-event-hubs needs KAFKA_SASL_USERNAME to be the literal \$ConnectionString; it is something else$/],
    [{ KAFKA_SASL_PASSWORD: 'dGhpcyBpcyBhIHRlc3Q=' }, /^KAFKA_PRESET=azure-event-hubs needs KAFKA_SASL_PASSWORD to be the namespace's connection string, starting with Endpoint=sb:\/\/ .*; it does not$/],
    [{ KAFKA_SASL_PASSWORD: 'Endpoint=sb://my-space.servicebus.windows.net/;SharedAccessKey=dGhpcyBpcyBhIHRlc3Q=' }, /the connection string in KAFKA_SASL_PASSWORD has no SharedAccessKeyName=; copy the whole/],
    [{ KAFKA_SASL_PASSWORD: 'Endpoint=sb://my-space.servicebus.windows.net/;SharedAccessKeyName=Root' }, /has no SharedAccessKey=;/],
    [{ KAFKA_SASL_PASSWORD: CONNECTION_STRING.replace('my-space', 'other-space') }, /^KAFKA_PRESET=azure-event-hubs: the connection string in KAFKA_SASL_PASSWORD is for another namespace than KAFKA_BROKERS \(my-space\.servicebus\.windows\.net\)/],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-256' }, /^KAFKA_SASL_MECHANISM=scram-sha-256 does not work with KAFKA_PRESET=azure-event-hubs: Azure Event Hubs takes plain \(\$ConnectionString and the connection string\) or oauthbearer$/],
    [{ KAFKA_CREATE_TOPICS: 'true' }, /^KAFKA_CREATE_TOPICS=true conflicts with KAFKA_PRESET=azure-event-hubs: Azure Event Hubs topics are event hubs, created in the Azure portal/],
    [{ KAFKA_REPLICATION_FACTOR: '3' }, /^KAFKA_REPLICATION_FACTOR=3 conflicts with KAFKA_PRESET=azure-event-hubs: Azure Event Hubs manages replication itself/],
    [{ KAFKA_MIN_INSYNC_REPLICAS: '2' }, /^KAFKA_MIN_INSYNC_REPLICAS=2 conflicts with KAFKA_PRESET=azure-event-hubs/],
    [{ KAFKA_MAX_PAYLOAD_BYTES: '1048576' }, /^KAFKA_MAX_PAYLOAD_BYTES=1048576 conflicts with KAFKA_PRESET=azure-event-hubs: Azure Event Hubs closes the connection of a request over 1,046,528 bytes; keep it at most 1000000$/],
    [{ KAFKA_BATCH_MAX_BYTES: '1048576' }, /^KAFKA_BATCH_MAX_BYTES=1048576 conflicts with KAFKA_PRESET=azure-event-hubs: .*keep it at most 524288$/],
    // 1000 records of 1000 bytes each make a produce request of about 1.39 MB, over the service's 1,046,528.
    [{ KAFKA_BATCH_MAX_BYTES: '1000000' }, /^KAFKA_BATCH_MAX_BYTES=1000000 conflicts with KAFKA_PRESET=azure-event-hubs: .*390 bytes each.*keep it at most 524288$/],
    [{ KAFKA_REQUEST_TIMEOUT_MS: '10000' }, /^KAFKA_REQUEST_TIMEOUT_MS=10000 conflicts with KAFKA_PRESET=azure-event-hubs: Azure Event Hubs takes request timeouts below 20000 ms as 20000 ms/],
    [{ KAFKA_SSL: 'false' }, /^KAFKA_SSL=false conflicts with KAFKA_PRESET=azure-event-hubs/],
  ])('refuses %o with a config error naming the variable', (change, message) => {
    expect(envError({ ...EVENT_HUBS, ...change })).toMatch(message);
  });
});

describe('the preset option', () => {
  const confluent: KafkaBusOptions = {
    preset: 'confluent-cloud', brokers: [CONFLUENT.KAFKA_BROKERS], sasl: { mechanism: 'plain', username: KEY, password: SECRET },
  };

  it('fills the same settings as KAFKA_PRESET, and an option set in code wins', () => {
    expect(resolveOptions(confluent)).toMatchObject({ preset: 'confluent-cloud', ssl: true, replicationFactor: 3, sessionTimeoutMs: 45_000 });
    expect(resolveOptions({ ...confluent, sessionTimeoutMs: 20_000, ssl: { servername: 'localhost' } })).toMatchObject({ sessionTimeoutMs: 20_000, ssl: { servername: 'localhost' } });
  });

  it('names options, not variables, in its errors', () => {
    expect(configError(() => resolveOptions({ ...confluent, replicationFactor: 2 })).message).toBe(
      'replicationFactor=2 conflicts with preset=confluent-cloud: Confluent Cloud creates topics with 3 replicas only',
    );
    expect(configError(() => resolveOptions({ preset: 'confluent-cloud', brokers: confluent.brokers ?? [] })).message).toBe(
      'preset=confluent-cloud: Confluent Cloud needs SASL; set sasl.mechanism (plain or oauthbearer)',
    );
    const eventHubs = { preset: 'azure-event-hubs', brokers: [EVENT_HUBS.KAFKA_BROKERS], sasl: { mechanism: 'plain', username: '', password: CONNECTION_STRING } } as const;
    expect(configError(() => resolveOptions(eventHubs)).message).toMatch(/^preset=azure-event-hubs needs sasl\.username to be the literal \$ConnectionString/);
  });

  it('refuses an unknown preset as invalid options, before connecting', async () => {
    const error = await createKafkaBus({ preset: 'aws-msk' as 'confluent-cloud' }).catch((caught: unknown) => caught);
    expect(isBusError(error) && error.reason).toBe('invalid_options');
  });

  it('is listed in --help', () => {
    expect(driver.settings?.find((setting) => setting.env === 'KAFKA_PRESET')?.description).toContain('confluent-cloud or azure-event-hubs');
  });
});
