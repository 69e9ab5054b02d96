/** What the global setup hands to the tests (vitest `provide`/`inject`). */
export interface KafkaTestSasl {
  /** Comma-separated host:port of a SASL_PLAINTEXT listener. */
  readonly brokers: string;
  readonly username: string;
  readonly password: string;
  /** Mechanisms that listener accepts, lower case (`plain`, `scram-sha-256`, `scram-sha-512`). */
  readonly mechanisms: readonly string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated host:port of the Kafka the tests use. */
    kafkaBrokers: string;
    /** Where that Kafka came from: `env` (KAFKA_BROKERS), `docker` (testcontainers) or `local` (scripts/kafka). */
    kafkaSource: string;
    /** The SASL listener, or null with the reason in `kafkaSaslMissing`. */
    kafkaSasl: KafkaTestSasl | null;
    kafkaSaslMissing: string;
  }
}
