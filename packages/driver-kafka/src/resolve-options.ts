import { hostname } from 'node:os';
import { BusError, DEFAULT_MAX_PAYLOAD_BYTES, silentLogger } from '@app/core';
import type { KafkaBusOptions, ResolvedKafkaBusOptions } from './options.js';

/** Measured on issue 7's rooms shape: see README, Performance. */
export const DEFAULT_LINGER_MS = 20;

/** Topic and group names may only hold these; the prefix and client id end up in both. */
const NAME_PATTERN = /^[A-Za-z0-9._-]*$/;
const BROKER_PATTERN = /^[^\s:,]+:\d{1,5}$/;

function invalid(message: string): BusError {
  return new BusError('invalid_options', `createKafkaBus: ${message}`);
}

function whole(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < min || result > max) {
    throw invalid(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
  return result;
}

function defaultClientId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'host';
  return `app-${host}-${process.pid}`;
}

/** Checks the factory options and fills in every default. Throws `invalid_options`. */
export function resolveOptions(options: KafkaBusOptions): ResolvedKafkaBusOptions {
  const brokers = [...(options.brokers ?? ['127.0.0.1:9092'])];
  if (brokers.length === 0) throw invalid('brokers must list at least one host:port');
  for (const broker of brokers) {
    if (!BROKER_PATTERN.test(broker)) throw invalid(`broker "${broker}" is not host:port`);
  }
  const clientId = options.clientId ?? defaultClientId();
  if (clientId.length === 0 || clientId.length > 100 || !NAME_PATTERN.test(clientId)) {
    throw invalid(`clientId "${clientId}" must be 1 to 100 letters, digits, ".", "_" or "-"`);
  }
  const topicPrefix = options.topicPrefix ?? '';
  if (topicPrefix.length > 100 || !NAME_PATTERN.test(topicPrefix)) {
    throw invalid(`topicPrefix "${topicPrefix}" may only hold letters, digits, ".", "_" and "-" (at most 100)`);
  }
  const sasl = options.sasl;
  if (sasl !== undefined) {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(sasl.mechanism)) {
      throw invalid(`sasl.mechanism must be plain, scram-sha-256 or scram-sha-512, got ${String(sasl.mechanism)}`);
    }
    if (!sasl.username || typeof sasl.password !== 'string') throw invalid('sasl needs a username and a password');
  }
  const sessionTimeoutMs = whole(options.sessionTimeoutMs, 10_000, 'sessionTimeoutMs', 1000, 3_600_000);
  const heartbeatIntervalMs = whole(options.heartbeatIntervalMs, 1000, 'heartbeatIntervalMs', 100, 3_600_000);
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw invalid('heartbeatIntervalMs must be below sessionTimeoutMs');
  const replicationFactor =
    options.replicationFactor === undefined ? undefined : whole(options.replicationFactor, 1, 'replicationFactor', 1, 32);
  const minInsyncReplicas =
    options.minInsyncReplicas === undefined ? undefined : whole(options.minInsyncReplicas, 1, 'minInsyncReplicas', 1, 32);
  return {
    brokers,
    clientId,
    topicPrefix,
    partitions: whole(options.partitions, 4, 'partitions', 1, 10_000),
    replicationFactor,
    minInsyncReplicas,
    createTopics: options.createTopics ?? true,
    ssl: options.ssl ?? false,
    sasl,
    ceSource: options.ceSource ?? `/app/${clientId}`,
    ceType: options.ceType ?? 'app.bus.message',
    connectionTimeoutMs: whole(options.connectionTimeoutMs, 5000, 'connectionTimeoutMs', 100, 600_000),
    requestTimeoutMs: whole(options.requestTimeoutMs, 30_000, 'requestTimeoutMs', 100, 600_000),
    connectTimeoutMs: whole(options.connectTimeoutMs, 30_000, 'connectTimeoutMs', 100, 3_600_000),
    publishTimeoutMs: whole(options.publishTimeoutMs, 30_000, 'publishTimeoutMs', 100, 3_600_000),
    subscribeTimeoutMs: whole(options.subscribeTimeoutMs, 30_000, 'subscribeTimeoutMs', 100, 3_600_000),
    topicTimeoutMs: whole(options.topicTimeoutMs, 30_000, 'topicTimeoutMs', 100, 3_600_000),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    fetchMaxWaitMs: whole(options.fetchMaxWaitMs, 500, 'fetchMaxWaitMs', 10, 60_000),
    healthCheckIntervalMs: whole(options.healthCheckIntervalMs, 2000, 'healthCheckIntervalMs', 100, 3_600_000),
    maxPayloadBytes: whole(options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES, 'maxPayloadBytes', 1024, 64 * 1024 * 1024),
    maxPendingPerSubscription: whole(options.maxPendingPerSubscription, 10_000, 'maxPendingPerSubscription', 1, 10_000_000),
    maxPendingPublishBytes: whole(options.maxPendingPublishBytes, 64 * 1024 * 1024, 'maxPendingPublishBytes', 1024, 2 ** 40),
    lingerMs: whole(options.lingerMs, DEFAULT_LINGER_MS, 'lingerMs', 0, 1000),
    batchMaxBytes: whole(options.batchMaxBytes, 512 * 1024, 'batchMaxBytes', 1024, 1024 * 1024),
    redeliveryDelayMs: whole(options.redeliveryDelayMs, 100, 'redeliveryDelayMs', 0, 600_000),
    closeTimeoutMs: whole(options.closeTimeoutMs, 5000, 'closeTimeoutMs', 0, 3_600_000),
    clientLogLevel: options.clientLogLevel ?? 'warn',
    logger: options.logger ?? silentLogger,
  };
}
