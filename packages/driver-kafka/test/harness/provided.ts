/** What the global setup hands to the tests (vitest `provide`/`inject`). */
export interface KafkaTestSasl {
  /** Comma-separated host:port of a SASL_PLAINTEXT listener. */
  readonly brokers: string;
  readonly username: string;
  readonly password: string;
  /** Mechanisms that listener accepts, lower case (`plain`, `scram-sha-256`, `scram-sha-512`). */
  readonly mechanisms: readonly string[];
}

/** The TLS listeners of `pnpm kafka:up` and the PEM files they use (see docs/kafka-local.md). */
export interface KafkaTestTls {
  /** Comma-separated host:port of the SSL listener (TLS only). */
  readonly sslBrokers: string;
  /** SASL_SSL with PLAIN and SCRAM (`username`/`password`). */
  readonly saslSslBrokers: string;
  /** SASL_SSL with OAUTHBEARER, validating unsecured JWS tokens (tests only). */
  readonly oauthBrokers: string;
  /** SSL with a client certificate signed by `caFile` required. */
  readonly mtlsBrokers: string;
  readonly username: string;
  readonly password: string;
  /** The CA that signed the brokers' certificates (SAN localhost, 127.0.0.1) and `clientCertFile`. */
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA the brokers do not know, and a client certificate it signed. */
  readonly otherCaFile: string;
  readonly otherClientCertFile: string;
  readonly otherClientKeyFile: string;
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
    /** The TLS listeners, or null with the reason in `kafkaTlsMissing`. */
    kafkaTls: KafkaTestTls | null;
    kafkaTlsMissing: string;
  }
}
