import { isBusError, silentLogger } from '@app/core';
import { createKafkaBus } from '@app/driver-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../src/driver.js';
import { TopicManager } from '../src/topic-manager.js';
import { uniqueName } from './bus-factory.js';
import { cleanUpPrefix, withAdmin } from './raw-kafka.js';
import { list, pem, roundTrip, skipTls, tlsListeners } from './tls-support.js';

const topicPrefix = `${uniqueName('preset')}.`;
afterAll(() => cleanUpPrefix(topicPrefix));

describe.skipIf(skipTls)('the confluent-cloud preset against the local SASL_SSL listener', () => {
  it('connects with PLAIN over TLS, delivers, and creates topics with 3 replicas', async (context) => {
    const tls = tlsListeners();
    const live = await withAdmin(async (admin) => (await admin.describeCluster()).brokers.length);
    // The preset's 3 replicas need three brokers (CI runs three); a one-node kafka:up skips, except under CI.
    if (live < 3 && process.env['CI'] !== 'true') context.skip();
    const { preset, ...resolved } = optionsFromEnv({
      KAFKA_PRESET: 'confluent-cloud',
      KAFKA_BROKERS: 'pkc-local0.europe-west1.gcp.confluent.cloud:9092',
      KAFKA_SASL_USERNAME: tls.username,
      KAFKA_SASL_PASSWORD: tls.password,
      KAFKA_TOPIC_PREFIX: topicPrefix,
    });
    expect(preset).toBe('confluent-cloud');
    expect(resolved).toMatchObject({ ssl: true, replicationFactor: 3, sessionTimeoutMs: 45_000, sasl: { mechanism: 'plain' } });
    // Only where the cluster is and the CA that signed it differ from the cloud: the rest is the preset's.
    const bus = await createKafkaBus({ ...resolved, brokers: list(tls.saslSslBrokers), ssl: { ca: [pem(tls.caFile)] }, logger: silentLogger });
    try {
      expect(bus.security).toEqual({ protocol: 'SASL_SSL', mechanism: 'plain' });
      await roundTrip(bus, 'cloud:check');
      const replicas = await withAdmin(async (admin) => {
        const metadata = await admin.fetchTopicMetadata({ topics: [`${topicPrefix}cloud`] });
        return metadata.topics[0]?.partitions.map((partition) => partition.replicas.length);
      });
      expect(replicas?.length).toBeGreaterThan(0);
      expect(new Set(replicas)).toEqual(new Set([3]));
    } finally {
      await bus.close();
    }
  }, 120_000);
});

describe('a missing topic with the azure-event-hubs preset', () => {
  it('is a config error naming the event hub to create in the portal, and nothing is created', async () => {
    const topic = `${topicPrefix}game`;
    await withAdmin(async (admin) => {
      const topics = new TopicManager(
        admin,
        { prefix: topicPrefix, partitions: 1, replicationFactor: 1, minInsyncReplicas: undefined, createTopics: false, topicsAreEventHubs: true, timeoutMs: 10_000, maxPayloadBytes: 1_000_000 },
        silentLogger,
      );
      const error = await topics.ensure(topic).catch((caught: unknown) => caught);
      expect(isBusError(error) && error.reason).toBe('config');
      expect((error as Error).message).toMatch(
        new RegExp(`^event hub "${topic.replace(/[.]/g, '\\.')}" does not exist in the namespace \\(KAFKA_PRESET=azure-event-hubs: topics are event hubs, which the driver cannot create\\): create it in the Azure portal with the partitions you want \\(it has `),
      );
      expect(await admin.listTopics()).not.toContain(topic);
    });
  }, 60_000);
});
