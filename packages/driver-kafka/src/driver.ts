import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { BusError, defineBusDriver, describeError, envBool, envChoice, envInt, envList, envString, isBusError, type Env } from '@app/core';
import { createKafkaBus } from './create-kafka-bus.js';
import type { KafkaBusOptions, KafkaClientLogLevel, KafkaSaslMechanism } from './options.js';
import { DEFAULT_LINGER_MS } from './resolve-options.js';

const SASL_MECHANISMS: readonly KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];
const LOG_LEVELS: readonly KafkaClientLogLevel[] = ['nothing', 'error', 'warn', 'info', 'debug'];

function tls(env: Env): boolean | ConnectionOptions {
  const caFile = envString(env, 'KAFKA_SSL_CA_FILE');
  const enabled = envBool(env, 'KAFKA_SSL', caFile !== undefined);
  if (!enabled) return false;
  if (caFile === undefined) return true;
  try {
    return { ca: [readFileSync(caFile, 'utf8')] };
  } catch (error) {
    throw new BusError('config', `KAFKA_SSL_CA_FILE=${caFile} cannot be read: ${describeError(error)}`, { cause: error });
  }
}

function sasl(env: Env): KafkaBusOptions['sasl'] {
  const mechanism = envChoice(env, 'KAFKA_SASL_MECHANISM', SASL_MECHANISMS);
  const username = envString(env, 'KAFKA_SASL_USERNAME');
  // A password may legitimately have surrounding spaces; take it as given.
  const password = env['KAFKA_SASL_PASSWORD'];
  if (mechanism === undefined) {
    if (username !== undefined) throw new BusError('config', 'KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)');
    return undefined;
  }
  if (username === undefined || password === undefined || password === '') {
    throw new BusError('config', `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  return { mechanism, username, password };
}

/** Reads the `KAFKA_*` variables into factory options; throws a `config` error naming the variable. */
export function optionsFromEnv(env: Env): KafkaBusOptions {
  const replicationFactor = envString(env, 'KAFKA_REPLICATION_FACTOR');
  const minInsyncReplicas = envString(env, 'KAFKA_MIN_INSYNC_REPLICAS');
  const clientId = envString(env, 'KAFKA_CLIENT_ID');
  const ceSource = envString(env, 'KAFKA_CE_SOURCE');
  const saslOptions = sasl(env);
  return {
    brokers: envList(env, 'KAFKA_BROKERS', ['127.0.0.1:9092']),
    ...(clientId === undefined ? {} : { clientId }),
    topicPrefix: envString(env, 'KAFKA_TOPIC_PREFIX', ''),
    partitions: envInt(env, 'KAFKA_PARTITIONS', 4, { min: 1, max: 10_000 }),
    ...(replicationFactor === undefined ? {} : { replicationFactor: envInt(env, 'KAFKA_REPLICATION_FACTOR', 1, { min: 1, max: 32 }) }),
    ...(minInsyncReplicas === undefined ? {} : { minInsyncReplicas: envInt(env, 'KAFKA_MIN_INSYNC_REPLICAS', 1, { min: 1, max: 32 }) }),
    createTopics: envBool(env, 'KAFKA_CREATE_TOPICS', true),
    ssl: tls(env),
    ...(saslOptions === undefined ? {} : { sasl: saslOptions }),
    ...(ceSource === undefined ? {} : { ceSource }),
    connectionTimeoutMs: envInt(env, 'KAFKA_CONNECTION_TIMEOUT_MS', 5000, { min: 100, max: 600_000 }),
    requestTimeoutMs: envInt(env, 'KAFKA_REQUEST_TIMEOUT_MS', 30_000, { min: 100, max: 600_000 }),
    connectTimeoutMs: envInt(env, 'KAFKA_CONNECT_TIMEOUT_MS', 30_000, { min: 100, max: 3_600_000 }),
    publishTimeoutMs: envInt(env, 'KAFKA_PUBLISH_TIMEOUT_MS', 30_000, { min: 100, max: 3_600_000 }),
    subscribeTimeoutMs: envInt(env, 'KAFKA_SUBSCRIBE_TIMEOUT_MS', 30_000, { min: 100, max: 3_600_000 }),
    maxPayloadBytes: envInt(env, 'KAFKA_MAX_PAYLOAD_BYTES', 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    lingerMs: envInt(env, 'KAFKA_LINGER_MS', DEFAULT_LINGER_MS, { min: 0, max: 1000 }),
    batchMaxBytes: envInt(env, 'KAFKA_BATCH_MAX_BYTES', 512 * 1024, { min: 1024, max: 1024 * 1024 }),
    clientLogLevel: envChoice(env, 'KAFKA_LOG_LEVEL', LOG_LEVELS, 'warn'),
  };
}

/** `BUS=kafka`. */
export const driver = defineBusDriver({
  name: 'kafka',
  settings: [
    { env: 'KAFKA_BROKERS', default: '127.0.0.1:9092', description: 'Bootstrap brokers, comma-separated host:port.' },
    { env: 'KAFKA_CLIENT_ID', default: 'app-<hostname>-<pid>', description: 'Client id; also names broadcast consumer groups.' },
    { env: 'KAFKA_TOPIC_PREFIX', default: '', description: 'Prefix of every topic and consumer group id.' },
    { env: 'KAFKA_PARTITIONS', default: '4', description: 'Partitions of topics the driver creates.' },
    { env: 'KAFKA_REPLICATION_FACTOR', default: 'min(3, live brokers)', description: 'Replicas of topics the driver creates.' },
    { env: 'KAFKA_MIN_INSYNC_REPLICAS', default: "the broker's", description: 'min.insync.replicas of topics the driver creates (at most the replication factor).' },
    { env: 'KAFKA_CREATE_TOPICS', default: 'true', description: 'Create missing topics (false where the service forbids it).' },
    { env: 'KAFKA_SSL', default: 'false (true if KAFKA_SSL_CA_FILE is set)', description: 'Connect with TLS.' },
    { env: 'KAFKA_SSL_CA_FILE', default: '', description: 'PEM file of the CA that signed the brokers (default: system CAs).' },
    { env: 'KAFKA_SASL_MECHANISM', default: '', description: 'plain, scram-sha-256 or scram-sha-512; empty for none.' },
    { env: 'KAFKA_SASL_USERNAME', default: '', description: 'SASL username (Event Hubs: $ConnectionString).' },
    { env: 'KAFKA_SASL_PASSWORD', default: '', description: 'SASL password (Event Hubs: the connection string).' },
    { env: 'KAFKA_CE_SOURCE', default: '/app/<clientId>', description: 'CloudEvents ce_source of published records.' },
    { env: 'KAFKA_CONNECTION_TIMEOUT_MS', default: '5000', description: 'TCP/TLS connect timeout per broker.' },
    { env: 'KAFKA_REQUEST_TIMEOUT_MS', default: '30000', description: 'Timeout of one broker request.' },
    { env: 'KAFKA_CONNECT_TIMEOUT_MS', default: '30000', description: 'Longest wait for the first connection at start-up.' },
    { env: 'KAFKA_PUBLISH_TIMEOUT_MS', default: '30000', description: 'Longest wait for a publish to be acknowledged.' },
    { env: 'KAFKA_SUBSCRIBE_TIMEOUT_MS', default: '30000', description: 'Longest wait for a subscription to become live.' },
    { env: 'KAFKA_MAX_PAYLOAD_BYTES', default: '1048576', description: 'Largest accepted message in bytes.' },
    { env: 'KAFKA_LINGER_MS', default: String(DEFAULT_LINGER_MS), description: 'Longest wait for more publishes to share a produce request.' },
    { env: 'KAFKA_BATCH_MAX_BYTES', default: '524288', description: 'Largest produce request (payload bytes).' },
    { env: 'KAFKA_LOG_LEVEL', default: 'warn', description: 'kafkajs log level: nothing, error, warn, info, debug.' },
  ],
  async create(env, { logger }) {
    const options = optionsFromEnv(env);
    try {
      return await createKafkaBus({ ...options, logger });
    } catch (error) {
      // Options come from the environment here, so a bad one is a configuration error.
      if (isBusError(error) && error.reason === 'invalid_options') throw new BusError('config', error.message.replace('createKafkaBus: ', 'KAFKA_*: '), { cause: error });
      throw error;
    }
  },
});
