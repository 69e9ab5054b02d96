import { DEFAULT_MAX_PAYLOAD_BYTES } from '@app/core';
import { defineSettings, setting } from '@app/core/driver';
import type { KafkaClientLogLevel, KafkaSaslMechanism } from './options.js';
import { KAFKA_PRESETS } from './preset-names.js';

/** Measured on issue 7's rooms shape: see README, Performance. */
export const DEFAULT_LINGER_MS = 20;

/** Topic and group names may only hold these; the prefix and client id end up in both. */
const NAME_PATTERN = /^[A-Za-z0-9._-]*$/;
const BROKER_PATTERN = /^[^\s:,]+:\d{1,5}$/;

const SASL_MECHANISMS: readonly KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'];
const LOG_LEVELS: readonly KafkaClientLogLevel[] = ['nothing', 'error', 'warn', 'info', 'debug'];

function brokersProblem(brokers: readonly string[]): string | undefined {
  if (brokers.length === 0) return 'expected at least one host:port';
  const bad = brokers.find((broker) => !BROKER_PATTERN.test(broker));
  return bad === undefined ? undefined : `broker "${bad}" is not host:port`;
}

const name = (min: number, expected: string) => (value: string) =>
  value.length >= min && value.length <= 100 && NAME_PATTERN.test(value) ? undefined : `expected ${expected}`;

/**
 * Every setting of the Kafka driver: the flat options of {@link KafkaBusOptions} and the `KAFKA_*`
 * variables `BUS=kafka` reads, in `--help` order. `ssl` and `sasl` are nested options: their
 * variables are `envOnly` rows that `optionsFromEnv` assembles; `clientId` and `ceSource` have
 * computed defaults (applied by `resolveOptions`). The option docs live on `KafkaBusOptions`.
 */
export const KAFKA_SETTINGS = defineSettings({
  preset: setting.choice(KAFKA_PRESETS, {
    env: 'KAFKA_PRESET', defaultText: 'none',
    description: 'confluent-cloud or azure-event-hubs: fills and checks the settings that service needs (README, Managed Kafka).',
  }),
  brokers: setting.list({ env: 'KAFKA_BROKERS', default: ['127.0.0.1:9092'], description: 'Bootstrap brokers, comma-separated host:port.', check: brokersProblem }),
  clientId: setting.string({
    env: 'KAFKA_CLIENT_ID', defaultText: 'app-<hostname>-<pid>', description: 'Client id; also names broadcast consumer groups.',
    check: name(1, '1 to 100 letters, digits, ".", "_" or "-" (the client id)'),
  }),
  topicPrefix: setting.string({
    env: 'KAFKA_TOPIC_PREFIX', default: '', description: 'Prefix of every topic and consumer group id.',
    check: name(0, 'at most 100 letters, digits, ".", "_" and "-"'),
  }),
  partitions: setting.integer({ env: 'KAFKA_PARTITIONS', default: 4, min: 1, max: 10_000, description: 'Partitions of topics the driver creates.' }),
  replicationFactor: setting.integer({ env: 'KAFKA_REPLICATION_FACTOR', min: 1, max: 32, defaultText: 'min(3, live brokers)', description: 'Replicas of topics the driver creates.' }),
  minInsyncReplicas: setting.integer({
    env: 'KAFKA_MIN_INSYNC_REPLICAS', min: 1, max: 32, defaultText: "the broker's",
    description: 'min.insync.replicas of topics the driver creates (at most the replication factor).',
  }),
  createTopics: setting.boolean({ env: 'KAFKA_CREATE_TOPICS', default: true, description: 'Create missing topics (false where the service forbids it).' }),
  ssl: setting.boolean({ env: 'KAFKA_SSL', envOnly: true, defaultText: 'false (true if KAFKA_SSL_CA_FILE is set)', description: 'Connect with TLS.' }),
  sslCaFile: setting.string({ env: 'KAFKA_SSL_CA_FILE', envOnly: true, description: 'PEM file of the CA that signed the brokers (default: system CAs).' }),
  sslCertFile: setting.string({ env: 'KAFKA_SSL_CERT_FILE', envOnly: true, description: 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE).' }),
  sslKeyFile: setting.string({ env: 'KAFKA_SSL_KEY_FILE', envOnly: true, description: 'PEM private key of KAFKA_SSL_CERT_FILE (unencrypted).' }),
  sslServername: setting.string({ env: 'KAFKA_SSL_SERVERNAME', envOnly: true, defaultText: 'each broker\'s host', description: 'Host name the brokers\' certificates must hold (SNI too).' }),
  saslMechanism: setting.choice(SASL_MECHANISMS, { env: 'KAFKA_SASL_MECHANISM', envOnly: true, description: 'plain, scram-sha-256, scram-sha-512 or oauthbearer; empty for none.' }),
  saslUsername: setting.string({ env: 'KAFKA_SASL_USERNAME', envOnly: true, secret: true, description: 'SASL username (Event Hubs: $ConnectionString).' }),
  // A password may legitimately have surrounding spaces: taken as given.
  saslPassword: setting.string({ env: 'KAFKA_SASL_PASSWORD', envOnly: true, secret: true, raw: true, description: 'SASL password (Event Hubs: the connection string).' }),
  // Secret: a command may carry a client secret (e.g. curl -d client_secret=...), so it is never logged.
  oauthTokenCommand: setting.string({ env: 'KAFKA_OAUTH_TOKEN_COMMAND', envOnly: true, secret: true, description: 'oauthbearer: shell command whose stdout is the token; run again before it expires.' }),
  oauthTokenFile: setting.string({ env: 'KAFKA_OAUTH_TOKEN_FILE', envOnly: true, description: 'oauthbearer: file holding the token; read again before it expires.' }),
  oauthToken: setting.string({ env: 'KAFKA_OAUTH_TOKEN', envOnly: true, secret: true, description: 'oauthbearer: a fixed token (tests; it is not refreshed).' }),
  oauthExtensions: setting.string({ env: 'KAFKA_OAUTH_EXTENSIONS', envOnly: true, description: 'oauthbearer: SASL extensions sent with the token, key=value,key=value (Confluent Cloud: logicalCluster=lkc-...,identityPoolId=pool-...).' }),
  ceSource: setting.string({ env: 'KAFKA_CE_SOURCE', defaultText: '/app/<clientId>', description: 'CloudEvents ce_source of published records.' }),
  ceType: setting.string({ default: 'app.bus.message', description: 'CloudEvents ce_type of published records.' }),
  connectionTimeoutMs: setting.duration({ env: 'KAFKA_CONNECTION_TIMEOUT_MS', default: 5000, min: 100, max: 600_000, description: 'TCP/TLS connect timeout per broker.' }),
  requestTimeoutMs: setting.duration({ env: 'KAFKA_REQUEST_TIMEOUT_MS', default: 30_000, min: 100, max: 600_000, description: 'Timeout of one broker request.' }),
  connectTimeoutMs: setting.duration({ env: 'KAFKA_CONNECT_TIMEOUT_MS', default: 30_000, min: 100, max: 3_600_000, description: 'Longest wait for the first connection at start-up.' }),
  publishTimeoutMs: setting.duration({ env: 'KAFKA_PUBLISH_TIMEOUT_MS', default: 30_000, min: 100, max: 3_600_000, description: 'Longest wait for a publish to be acknowledged.' }),
  subscribeTimeoutMs: setting.duration({ env: 'KAFKA_SUBSCRIBE_TIMEOUT_MS', default: 30_000, min: 100, max: 3_600_000, description: 'Longest wait for a subscription to become live.' }),
  topicTimeoutMs: setting.duration({ default: 30_000, min: 100, max: 3_600_000, description: 'Longest wait for a topic to be created and get leaders.' }),
  sessionTimeoutMs: setting.duration({ default: 10_000, min: 1000, max: 3_600_000, description: 'Consumer group session timeout.' }),
  heartbeatIntervalMs: setting.duration({ default: 1000, min: 100, max: 3_600_000, description: 'Consumer heartbeat interval (below sessionTimeoutMs).' }),
  fetchMaxWaitMs: setting.duration({ default: 500, min: 10, max: 60_000, description: 'Longest time the broker holds an empty fetch.' }),
  healthCheckIntervalMs: setting.duration({ default: 2000, min: 100, max: 3_600_000, description: 'How often the connection is checked while nothing else tells.' }),
  maxPayloadBytes: setting.integer({ env: 'KAFKA_MAX_PAYLOAD_BYTES', default: DEFAULT_MAX_PAYLOAD_BYTES, min: 1024, max: 64 * 1024 * 1024, description: 'Largest accepted message in bytes.' }),
  maxPendingPerSubscription: setting.integer({ default: 10_000, min: 1, max: 10_000_000, description: 'Messages waiting for one broadcast handler.' }),
  maxPendingPublishBytes: setting.integer({ default: 64 * 1024 * 1024, min: 1024, max: 2 ** 40, description: 'Bytes of publishes waiting to be sent.' }),
  lingerMs: setting.duration({ env: 'KAFKA_LINGER_MS', default: DEFAULT_LINGER_MS, min: 0, max: 1000, description: 'Longest wait for more publishes to share a produce request.' }),
  batchMaxBytes: setting.integer({ env: 'KAFKA_BATCH_MAX_BYTES', default: 512 * 1024, min: 1024, max: 1024 * 1024, description: 'Largest produce request (payload bytes).' }),
  redeliveryDelayMs: setting.duration({ default: 100, min: 0, max: 600_000, description: 'First pause before a failed group message is retried.' }),
  closeTimeoutMs: setting.duration({ default: 5000, min: 0, max: 3_600_000, description: 'How long close() lets handlers and deliveries finish.' }),
  clientLogLevel: setting.choice(LOG_LEVELS, { env: 'KAFKA_LOG_LEVEL', default: 'warn', description: 'kafkajs log level: nothing, error, warn, info, debug.' }),
});
