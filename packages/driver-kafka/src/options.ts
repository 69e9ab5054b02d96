import type { ConnectionOptions } from 'node:tls';
import type { BusLogger } from '@app/core';
import type { KafkaPreset } from './preset-names.js';

/** SASL mechanisms that log in with a username and a password. */
export type KafkaPasswordMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** SASL mechanisms the driver accepts: the password ones and `oauthbearer` (a bearer token). */
export type KafkaSaslMechanism = KafkaPasswordMechanism | 'oauthbearer';

/** SASL with a username and a password (PLAIN or SCRAM). */
export interface KafkaPasswordSasl {
  readonly mechanism: KafkaPasswordMechanism;
  readonly username: string;
  readonly password: string;
}

/**
 * SASL OAUTHBEARER. `token` is called on every (re)authentication of every broker connection and
 * returns the bearer token (usually a JWT); cache it and fetch a new one before it expires. A
 * rejection fails that authentication (a `BusError` passes through as it is).
 */
export interface KafkaOAuthBearerSasl {
  readonly mechanism: 'oauthbearer';
  readonly token: () => string | Promise<string>;
  /**
   * SASL extensions sent with the token (RFC 7628 key=value pairs), e.g. Confluent Cloud's
   * `{ logicalCluster: 'lkc-…', identityPoolId: 'pool-…' }`. Keys are letters only and not `auth`;
   * values printable ASCII. Anything else is refused with `invalid_options`. Default: none.
   */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** SASL credentials of {@link KafkaBusOptions.sasl}. */
export type KafkaSaslOptions = KafkaPasswordSasl | KafkaOAuthBearerSasl;

/** How much of kafkajs's own logging reaches the bus logger. */
export type KafkaClientLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** Options of {@link createKafkaBus}. Every field is optional. */
export interface KafkaBusOptions {
  /**
   * A managed service whose needs fill the options left unset: `confluent-cloud` (TLS, SASL
   * PLAIN or OAUTHBEARER, 3 replicas, a 45 s session timeout, payloads up to 8 MiB less 64 KiB) or
   * `azure-event-hubs` (TLS, PLAIN with `$ConnectionString` or OAUTHBEARER, no topic creation,
   * replication left to the service, 1,000,000-byte payloads, 524,288-byte batches, 60 s requests, 30 s
   * sessions). It also checks the brokers' address shape and that the credentials look like the
   * service's. An option set here wins unless the service cannot work with it. Every problem is a
   * `BusError` reason `config` naming the option and the preset, never quoting a secret.
   * Default: none.
   */
  readonly preset?: KafkaPreset;
  /** Bootstrap brokers as `host:port`. Default: `['127.0.0.1:9092']`. */
  readonly brokers?: readonly string[];
  /**
   * Names this instance to Kafka (client id, broadcast group ids, CloudEvents source).
   * Letters, digits, `.`, `_`, `-`. Default: `app-<hostname>-<pid>`.
   */
  readonly clientId?: string;
  /** Put before every topic and consumer group id, e.g. `staging.`. Default: `''` (none). */
  readonly topicPrefix?: string;
  /** Partitions of a topic the driver creates. Default: 4. */
  readonly partitions?: number;
  /**
   * Replicas of a topic the driver creates. More than the live brokers is a start-up error
   * (reason `config`). Default: the smaller of 3 and the number of live brokers.
   */
  readonly replicationFactor?: number;
  /**
   * `min.insync.replicas` of a topic the driver creates: publishes wait for all in-sync replicas
   * (`acks: -1`) and are refused (retryable) while fewer than this many are in sync, so an
   * acknowledged message is on at least this many brokers. More than the replication factor is a
   * start-up error (reason `config`). Existing topics keep theirs. Default: none set, i.e. the
   * broker's `min.insync.replicas` (1 unless the cluster configures it).
   */
  readonly minInsyncReplicas?: number;
  /** Create missing topics through the admin API; off for clusters that forbid it. Default: true. */
  readonly createTopics?: boolean;
  /**
   * TLS: `true` for the system CAs, or Node TLS options (`ca`, `cert` and `key` for mutual TLS,
   * `servername` when the certificate names another host than the broker address). Default: false.
   */
  readonly ssl?: boolean | ConnectionOptions;
  /** SASL credentials (a password, or an OAUTHBEARER token source); without them the connection is not authenticated. Default: none. */
  readonly sasl?: KafkaSaslOptions;
  /** CloudEvents `ce_source` of published records. Default: `/app/<clientId>`. */
  readonly ceSource?: string;
  /** CloudEvents `ce_type` of published records. Default: `app.bus.message`. */
  readonly ceType?: string;
  /** TCP (and TLS) connect timeout per broker, in ms. Default: 5000. */
  readonly connectionTimeoutMs?: number;
  /** Timeout of one request to a broker, in ms. Default: 30000. */
  readonly requestTimeoutMs?: number;
  /** Longest wait for the first connection when the bus is created, in ms. Default: 30000. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for a publish to be acknowledged by all in-sync replicas, in ms. Default: 30000. */
  readonly publishTimeoutMs?: number;
  /** Longest wait for `subscribe` to become live (group join and offsets), in ms. Default: 30000. */
  readonly subscribeTimeoutMs?: number;
  /** Longest wait for a topic to be created and get leaders, in ms. Default: 30000. */
  readonly topicTimeoutMs?: number;
  /** Consumer group session timeout, in ms; a crashed member is noticed after it. Default: 10000. */
  readonly sessionTimeoutMs?: number;
  /** Consumer heartbeat interval, in ms; must be below `sessionTimeoutMs`. Default: 1000. */
  readonly heartbeatIntervalMs?: number;
  /** Longest time the broker holds a fetch with no new records, in ms. Default: 500. */
  readonly fetchMaxWaitMs?: number;
  /** How often the connection is checked while nothing else tells, in ms. Default: 2000. */
  readonly healthCheckIntervalMs?: number;
  /** Largest accepted message in bytes (JSON data plus headers). Default: 1048576 (1 MiB). */
  readonly maxPayloadBytes?: number;
  /**
   * Messages waiting for one broadcast subscription's handler. A subscription further behind is
   * ended with one retryable `position_expired` through `onError` (nothing is skipped: subscribe
   * again with `from` = the position of the last message handled). Default: 10000.
   */
  readonly maxPendingPerSubscription?: number;
  /** Bytes of publishes waiting to be sent before `publish` rejects (retryable). Default: 67108864 (64 MiB). */
  readonly maxPendingPublishBytes?: number;
  /**
   * How long a publish may wait for others to share its produce request, in ms. Only matters
   * while a broker has no request in flight: under load, what queued during the previous
   * round trip goes at once. Bounds produce (and thus fetch) requests per broker to about
   * 1000 / lingerMs per second. Default: 20 (measured: a fifth less client CPU and 40 %
   * less broker CPU per delivery than 5, same p99, p50 about 12 ms higher; 5 is Kafka 4's Java default).
   */
  readonly lingerMs?: number;
  /**
   * Largest produce request in bytes of payload (one larger message goes alone). It must stay
   * below the topics' `max.message.bytes`. Default: 524288 (512 KiB).
   */
  readonly batchMaxBytes?: number;
  /** First pause before a failed group message is retried, in ms; doubles per attempt up to 5 s. Default: 100. */
  readonly redeliveryDelayMs?: number;
  /** How long `close()` lets running handlers and queued deliveries finish, in ms. Default: 5000. */
  readonly closeTimeoutMs?: number;
  /** kafkajs log entries at this level or above go to `logger`. Default: `'warn'`. */
  readonly clientLogLevel?: KafkaClientLogLevel;
  /** Where the driver and kafkajs log. Default: a logger that drops everything. */
  readonly logger?: BusLogger;
}

/** Options with every default applied, as the bus uses them. */
export interface ResolvedKafkaBusOptions
  extends Required<Omit<KafkaBusOptions, 'preset' | 'sasl' | 'replicationFactor' | 'minInsyncReplicas' | 'brokers'>> {
  /** The preset applied (its values are in the other fields already), or undefined. */
  readonly preset: KafkaPreset | undefined;
  readonly brokers: readonly string[];
  readonly sasl: KafkaBusOptions['sasl'] | undefined;
  /** Undefined: the smaller of 3 and the live brokers, decided at start. */
  readonly replicationFactor: number | undefined;
  /** Undefined: the broker's default. */
  readonly minInsyncReplicas: number | undefined;
}
