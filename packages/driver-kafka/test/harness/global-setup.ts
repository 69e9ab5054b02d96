import type { TestProject } from 'vitest/node';
import { dockerAvailable, DOCKER_SASL_PASSWORD, DOCKER_SASL_USER, startDockerKafka } from './docker-kafka.js';
import { LOCAL_SASL_BROKERS, useLocalKafka } from './local-kafka.js';
import { portOpen } from './port-open.js';
import './provided.js';
import { findTlsListeners } from './tls-listeners.js';
import { waitForKafka } from './wait-for-kafka.js';

const ALL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];
const HOW =
  'Kafka tests need a broker: set KAFKA_BROKERS (and KAFKA_TEST_SASL_BROKERS for the SASL tests), ' +
  'or have a Docker engine for testcontainers, or Java 17+ for "node scripts/kafka/kafka.mjs up".';

/**
 * Finds or starts the Kafka the driver tests run against, in this order: KAFKA_BROKERS, a Kafka
 * container (when a Docker engine answers), the local KRaft broker of scripts/kafka. Whatever it
 * started, it stops afterwards. No broker: the run fails here, naming the three ways.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let teardown = async (): Promise<void> => {};
  let brokers: string;
  let source: string;
  let sasl: { brokers: string; username: string; password: string } | undefined;
  let saslMissing = '';
  const fromEnv = process.env['KAFKA_BROKERS']?.trim();
  try {
    if (fromEnv) {
      brokers = fromEnv;
      source = 'env';
      const saslBrokers = process.env['KAFKA_TEST_SASL_BROKERS']?.trim();
      if (saslBrokers) {
        sasl = {
          brokers: saslBrokers,
          username: process.env['KAFKA_TEST_SASL_USERNAME'] ?? 'app',
          password: process.env['KAFKA_TEST_SASL_PASSWORD'] ?? 'app-secret',
        };
      } else if (brokers.startsWith('127.0.0.1:9092') && (await portOpen(LOCAL_SASL_BROKERS))) {
        sasl = { brokers: LOCAL_SASL_BROKERS, username: 'app', password: 'app-secret' };
      } else {
        saslMissing = `KAFKA_BROKERS=${brokers} is set but KAFKA_TEST_SASL_BROKERS is not: the SASL tests need a SASL_PLAINTEXT listener accepting PLAIN and SCRAM`;
      }
    } else if (await dockerAvailable()) {
      const container = await startDockerKafka();
      brokers = container.brokers;
      source = 'docker';
      sasl = { brokers: container.saslBrokers, username: DOCKER_SASL_USER, password: DOCKER_SASL_PASSWORD };
      teardown = () => container.stop();
    } else {
      const local = await useLocalKafka();
      brokers = '127.0.0.1:9092';
      source = 'local';
      sasl = { brokers: LOCAL_SASL_BROKERS, username: 'app', password: 'app-secret' };
      teardown = async () => local.stop();
    }
    await waitForKafka(brokers, 120_000);
  } catch (error) {
    await teardown();
    throw new Error(`${HOW}\n${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaSource', source);
  project.provide('kafkaSasl', sasl === undefined ? null : { ...sasl, mechanisms: ALL_MECHANISMS });
  project.provide('kafkaSaslMissing', saslMissing);
  const tls = await findTlsListeners(source, process.env);
  project.provide('kafkaTls', tls.tls);
  project.provide('kafkaTlsMissing', tls.missing);
  return teardown;
}
