import {
  BusError,
  delay,
  withTimeout,
  type MessageBus,
} from '@app/core';
import { Kafka, type Admin, type Mechanism, type SASLOptions } from 'kafkajs';
import { HealthProbe } from './health-probe.js';
import { KafkaBus } from './kafka-bus.js';
import { busLogCreator, CLIENT_LOG_LEVELS } from './log-creator.js';
import { mapKafkaError } from './map-error.js';
import { oauthBearerMechanism } from './oauth-bearer-authenticator.js';
import type { KafkaBusOptions, KafkaSaslOptions, ResolvedKafkaBusOptions } from './options.js';
import { Publisher } from './publisher.js';
import { resolveOptions } from './resolve-options.js';
import { securitySummary } from './security-summary.js';
import { StatusTracker } from './status-tracker.js';
import { TopicManager } from './topic-manager.js';

function saslForKafkaJs(sasl: KafkaSaslOptions): SASLOptions | Mechanism {
  // Ours, not kafkajs's: see oauth-bearer-authenticator.ts for what the built-in one gets wrong.
  if (sasl.mechanism === 'oauthbearer') return oauthBearerMechanism(sasl.token, sasl.extensions);
  // The three password mechanisms share one shape; kafkajs types them as a union per mechanism.
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
}

function kafkaClient(options: ResolvedKafkaBusOptions, onProducerRetry: (message: string) => void): Kafka {
  const sasl = options.sasl;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ssl: options.ssl,
    ...(sasl === undefined ? {} : { sasl: saslForKafkaJs(sasl) }),
    connectionTimeout: options.connectionTimeoutMs,
    authenticationTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: CLIENT_LOG_LEVELS[options.clientLogLevel],
    logCreator: busLogCreator(options.logger, onProducerRetry),
  });
}

/** How many brokers are up, and the replication factor that follows (or a `config` error). */
async function replicationFactor(admin: Admin, options: ResolvedKafkaBusOptions): Promise<number> {
  const cluster = await withTimeout(admin.describeCluster(), options.requestTimeoutMs, 'the list of live Kafka brokers');
  const live = cluster.brokers.length;
  const wanted = options.replicationFactor ?? Math.min(3, live);
  if (wanted > live) {
    throw new BusError(
      'config',
      `replication factor ${wanted} (KAFKA_REPLICATION_FACTOR) needs ${wanted} brokers, but only ${live} ${live === 1 ? 'broker is' : 'brokers are'} up ` +
        `(${cluster.brokers.map((broker) => `${broker.host}:${broker.port}`).join(', ')}); lower it or start more brokers`,
    );
  }
  const minInsync = options.minInsyncReplicas;
  if (minInsync !== undefined && minInsync > wanted) {
    throw new BusError(
      'config',
      `min.insync.replicas ${minInsync} (KAFKA_MIN_INSYNC_REPLICAS) is more than the replication factor ${wanted}: no publish could ever be acknowledged; lower it or raise KAFKA_REPLICATION_FACTOR`,
    );
  }
  return wanted;
}

/**
 * The first connection, tried again until `deadline` (KAFKA_CONNECT_TIMEOUT_MS) while no broker
 * answers: kafkajs alone gives up after its 5 retries (about 3 s), well before the documented wait.
 * Each failed attempt logs one warning that says what the server waits for.
 */
async function connectUntil(admin: Admin, deadline: number, where: string, options: ResolvedKafkaBusOptions): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await withTimeout(admin.connect(), Math.max(deadline - Date.now(), 100), `a connection to Kafka at ${where}`);
      return;
    } catch (error) {
      const mapped = mapKafkaError(error, `connecting to Kafka at ${where}`);
      const retryInMs = 1000;
      if (mapped.reason !== 'not_connected' || Date.now() + retryInMs >= deadline) throw error;
      options.logger.warn({ brokers: options.brokers, attempt, retryInMs, err: mapped.message }, 'cannot reach Kafka yet; retrying');
      await admin.disconnect().catch(() => {});
      await delay(retryInMs);
    }
  }
}

/**
 * Creates a bus on Apache Kafka (or a Kafka-compatible service) and connects it: the promise
 * resolves once the cluster answered and the producer is connected, and rejects with a
 * `BusError` otherwise (`not_connected`/`timeout` when unreachable, `unauthorized` for bad
 * credentials, `config` for settings the cluster cannot honour). It declares every feature:
 * `crossInstance`, `orderedPerChannel`, `persistent`, `replay` and `groups`.
 */
export async function createKafkaBus(options: KafkaBusOptions = {}): Promise<MessageBus> {
  const resolved = resolveOptions(options);
  const { logger } = resolved;
  // Bound late: the publisher needs the client; retries are only logged once it sends.
  let publisher: Publisher | undefined;
  const kafka = kafkaClient(resolved, (message) => publisher?.noteRetry(message));
  const status = new StatusTracker(logger);
  const admin = kafka.admin();
  const probeAdmin = kafka.admin({ retry: { retries: 0 } });
  let topics: TopicManager | undefined;
  publisher = new Publisher(
    kafka,
    {
      publishTimeoutMs: resolved.publishTimeoutMs,
      connectTimeoutMs: resolved.connectTimeoutMs,
      maxPendingBytes: resolved.maxPendingPublishBytes,
      lingerMs: resolved.lingerMs,
      batchMaxBytes: resolved.batchMaxBytes,
    },
    // The topic manager needs the live broker count first; nothing is published before it exists.
    { leaderOf: (topic, partition) => topics?.leaderOf(topic, partition), refreshLayout: (topic) => topics?.refreshLayout(topic) },
    status,
    logger,
  );
  const where = resolved.brokers.join(',');
  try {
    await connectUntil(admin, Date.now() + resolved.connectTimeoutMs, where, resolved);
    const replicas = await replicationFactor(admin, resolved);
    topics = new TopicManager(
      admin,
      {
        prefix: resolved.topicPrefix,
        partitions: resolved.partitions,
        replicationFactor: replicas,
        minInsyncReplicas: resolved.minInsyncReplicas,
        createTopics: resolved.createTopics,
        topicsAreEventHubs: resolved.preset === 'azure-event-hubs',
        timeoutMs: resolved.topicTimeoutMs,
        maxPayloadBytes: resolved.maxPayloadBytes,
      },
      logger,
    );
    await publisher.start();
    await withTimeout(probeAdmin.connect(), resolved.connectTimeoutMs, `a second connection to Kafka at ${where}`);
  } catch (error) {
    await Promise.allSettled([publisher.close(1000), admin.disconnect(), probeAdmin.disconnect()]);
    throw mapKafkaError(error, `connecting to Kafka at ${where}`);
  }
  const probe = new HealthProbe(probeAdmin, resolved.healthCheckIntervalMs, status);
  probe.start();
  status.markStarted();
  logger.info({ brokers: resolved.brokers, clientId: resolved.clientId, topicPrefix: resolved.topicPrefix, security: securitySummary(resolved) }, 'kafka bus connected');
  return new KafkaBus(resolved, { kafka, admin, topics, publisher, probe, status });
}
