import { BusError } from '@app/core';
import type { KafkaBusOptions } from './options.js';
import { checkPresetBrokers, checkPresetCredentials } from './preset-credentials.js';
import type { KafkaPreset, PresetField, PresetNames } from './preset-names.js';

/** Room the driver leaves for key, CloudEvents headers and framing (as topic-manager.ts does). */
const RECORD_OVERHEAD_BYTES = 64 * 1024;

/**
 * What one preset sets and allows. Filled values apply only where the user set nothing; a value
 * the user set wins unless the service cannot work with it (then a `config` error).
 */
interface PresetSpec {
  readonly service: string;
  /** Replicas the service requires of created topics, or `managed`: it decides, none may be set. */
  readonly replicationFactor: number | 'managed';
  /** `false`: topics cannot be created through Kafka's admin API; setting it true is refused. */
  readonly createTopics: false | undefined;
  /** Filled when unset (undefined: the driver's own default, already below the service's limit). */
  readonly maxPayloadBytes: number | undefined;
  /** Largest message the service takes, less the driver's record overhead. */
  readonly maxPayloadCeiling: number;
  readonly batchMaxBytesCeiling: number | undefined;
  readonly requestTimeoutMs: number | undefined;
  readonly requestTimeoutFloor: number | undefined;
  readonly sessionTimeoutMs: number;
  /** Why, for the messages. */
  readonly payloadWhy: string;
}

const SPECS: Record<KafkaPreset, PresetSpec> = {
  // Basic, Standard and Enterprise clusters: topics take max.message.bytes up to 8 MiB (8388608; default 2097164),
  // and default.replication.factor is 3, not editable: https://docs.confluent.io/cloud/current/topics/manage.html
  // session.timeout.ms 45000: Kafka's default since KIP-735, as Confluent's client recommendations keep it:
  // https://docs.confluent.io/platform/current/clients/client-configs.html
  'confluent-cloud': {
    service: 'Confluent Cloud',
    replicationFactor: 3,
    createTopics: undefined,
    maxPayloadBytes: undefined,
    maxPayloadCeiling: 8 * 1024 * 1024 - RECORD_OVERHEAD_BYTES,
    batchMaxBytesCeiling: undefined,
    requestTimeoutMs: undefined,
    requestTimeoutFloor: undefined,
    // Confluent's recommendation for its clusters (and Kafka's default since KIP-735): a cloud network hiccup is not a dead member.
    sessionTimeoutMs: 45_000,
    payloadWhy: 'Confluent Cloud topics take at most 8 MiB per message (max.message.bytes), and the driver adds 64 KiB for headers',
  },
  // https://learn.microsoft.com/azure/event-hubs/apache-kafka-configurations: the service closes a connection that
  // sends a request over 1,046,528 bytes (max.request.size 1000000 recommended); request.timeout.ms 60000 recommended,
  // under 20000 taken as 20000 with client behaviour not guaranteed; session.timeout.ms at least 30000.
  'azure-event-hubs': {
    service: 'Azure Event Hubs',
    replicationFactor: 'managed',
    createTopics: false,
    maxPayloadBytes: 1_000_000,
    maxPayloadCeiling: 1_000_000,
    // A produce request holds up to 1000 records, each with about 390 bytes the payload count leaves out (measured with
    // kafkajs's record encoder: a 200-character channel key, the CloudEvents headers, record framing): 524288 + 390 KB
    // stays under 1,046,528 with room for longer ce_source/ce_type; 1,000,000 of payload would not.
    batchMaxBytesCeiling: 524_288,
    requestTimeoutMs: 60_000,
    requestTimeoutFloor: 20_000,
    sessionTimeoutMs: 30_000,
    payloadWhy: 'Azure Event Hubs closes the connection of a request over 1,046,528 bytes',
  },
};

function conflict(names: PresetNames, preset: KafkaPreset, field: PresetField, value: unknown, why: string): BusError {
  return new BusError('config', `${names(field)}=${String(value)} conflicts with ${names('preset')}=${preset}: ${why}`);
}

/**
 * The options with `preset`'s settings filled in: TLS on, the replication factor, topic creation,
 * payload limit and timeouts the service needs, after checking the brokers' address shape and the
 * credentials (see preset-credentials.ts). What `options` sets wins unless the service cannot work
 * with it. Throws `BusError` reason `config` naming the field (by `names`: the variable or the
 * option) and the preset; no message quotes a username, password or token.
 */
export function applyKafkaPreset(preset: KafkaPreset, options: KafkaBusOptions, names: PresetNames): KafkaBusOptions {
  const spec = SPECS[preset];
  checkPresetBrokers(preset, options.brokers ?? [], names);
  if (options.ssl === false) throw conflict(names, preset, 'ssl', false, `${spec.service} accepts TLS connections only`);
  const sasl = options.sasl;
  checkPresetCredentials(
    preset,
    {
      mechanism: sasl?.mechanism,
      username: sasl !== undefined && sasl.mechanism !== 'oauthbearer' ? sasl.username : undefined,
      password: sasl !== undefined && sasl.mechanism !== 'oauthbearer' ? sasl.password : undefined,
    },
    options.brokers ?? [],
    names,
  );
  const filled: { -readonly [K in keyof KafkaBusOptions]: KafkaBusOptions[K] } = { ...options, preset, ssl: options.ssl ?? true };

  if (spec.replicationFactor === 'managed') {
    for (const field of ['replicationFactor', 'minInsyncReplicas'] as const) {
      if (options[field] !== undefined) throw conflict(names, preset, field, options[field], `${spec.service} manages replication itself (and topics are not created by the driver); unset it`);
    }
  } else if (options.replicationFactor === undefined) {
    filled.replicationFactor = spec.replicationFactor;
  } else if (options.replicationFactor !== spec.replicationFactor) {
    throw conflict(names, preset, 'replicationFactor', options.replicationFactor, `${spec.service} creates topics with ${spec.replicationFactor} replicas only`);
  }

  if (spec.createTopics === false) {
    if (options.createTopics === true) throw conflict(names, preset, 'createTopics', true, `${spec.service} topics are event hubs, created in the Azure portal (or its API), not through Kafka's admin API`);
    filled.createTopics = false;
  }

  if (options.maxPayloadBytes !== undefined && options.maxPayloadBytes > spec.maxPayloadCeiling) {
    throw conflict(names, preset, 'maxPayloadBytes', options.maxPayloadBytes, `${spec.payloadWhy}; keep it at most ${spec.maxPayloadCeiling}`);
  }
  const maxPayloadBytes = options.maxPayloadBytes ?? spec.maxPayloadBytes;
  if (maxPayloadBytes !== undefined) filled.maxPayloadBytes = maxPayloadBytes;
  if (spec.batchMaxBytesCeiling !== undefined && options.batchMaxBytes !== undefined && options.batchMaxBytes > spec.batchMaxBytesCeiling) {
    throw conflict(names, preset, 'batchMaxBytes', options.batchMaxBytes, `${spec.payloadWhy}, and a batch of up to 1000 records adds about 390 bytes each to it; keep it at most ${spec.batchMaxBytesCeiling}`);
  }

  if (spec.requestTimeoutFloor !== undefined && options.requestTimeoutMs !== undefined && options.requestTimeoutMs < spec.requestTimeoutFloor) {
    throw conflict(names, preset, 'requestTimeoutMs', options.requestTimeoutMs, `${spec.service} takes request timeouts below ${spec.requestTimeoutFloor} ms as ${spec.requestTimeoutFloor} ms and does not promise how clients with shorter ones behave`);
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? spec.requestTimeoutMs;
  if (requestTimeoutMs !== undefined) filled.requestTimeoutMs = requestTimeoutMs;
  filled.sessionTimeoutMs = options.sessionTimeoutMs ?? spec.sessionTimeoutMs;
  return filled;
}
