/** The managed Kafka services a preset fills the settings for (`KAFKA_PRESET`, option `preset`). */
export type KafkaPreset = 'confluent-cloud' | 'azure-event-hubs';

/** Every preset, in `--help` order. */
export const KAFKA_PRESETS: readonly KafkaPreset[] = ['confluent-cloud', 'azure-event-hubs'];

/** What a preset sets or checks, named in its messages. */
export type PresetField =
  | 'preset' | 'brokers' | 'ssl' | 'sasl.mechanism' | 'sasl.username' | 'sasl.password'
  | 'replicationFactor' | 'minInsyncReplicas' | 'createTopics' | 'maxPayloadBytes' | 'batchMaxBytes'
  | 'requestTimeoutMs' | 'sessionTimeoutMs';

/** How a preset's messages name a field: by its variable (`BUS=kafka`) or its option (code). */
export type PresetNames = (field: PresetField) => string;

const ENV_NAMES: Record<PresetField, string> = {
  preset: 'KAFKA_PRESET',
  brokers: 'KAFKA_BROKERS',
  ssl: 'KAFKA_SSL',
  'sasl.mechanism': 'KAFKA_SASL_MECHANISM',
  'sasl.username': 'KAFKA_SASL_USERNAME',
  'sasl.password': 'KAFKA_SASL_PASSWORD',
  replicationFactor: 'KAFKA_REPLICATION_FACTOR',
  minInsyncReplicas: 'KAFKA_MIN_INSYNC_REPLICAS',
  createTopics: 'KAFKA_CREATE_TOPICS',
  maxPayloadBytes: 'KAFKA_MAX_PAYLOAD_BYTES',
  batchMaxBytes: 'KAFKA_BATCH_MAX_BYTES',
  requestTimeoutMs: 'KAFKA_REQUEST_TIMEOUT_MS',
  // No variable: only code sets it, so only the option can conflict.
  sessionTimeoutMs: 'sessionTimeoutMs',
};

/** Names fields by their `KAFKA_*` variable. */
export const envNames: PresetNames = (field) => ENV_NAMES[field];

/** Names fields by their factory option (`preset`, `sasl.username`, ...). */
export const optionNames: PresetNames = (field) => field;

/** The variable of each field a preset fills, to tell a value set in the environment from a default. */
export const PRESET_FILLED_ENV = {
  replicationFactor: ENV_NAMES.replicationFactor,
  minInsyncReplicas: ENV_NAMES.minInsyncReplicas,
  createTopics: ENV_NAMES.createTopics,
  maxPayloadBytes: ENV_NAMES.maxPayloadBytes,
  batchMaxBytes: ENV_NAMES.batchMaxBytes,
  requestTimeoutMs: ENV_NAMES.requestTimeoutMs,
} as const;
