import type { StartedTestContainer } from 'testcontainers';

/** apache/kafka image: the same release as scripts/kafka (see docs/kafka-local.md for why 4.4). */
const IMAGE = process.env['KAFKA_TEST_IMAGE'] ?? 'apache/kafka:4.4.0';
const START_SCRIPT = '/tmp/start-kafka.sh';
export const DOCKER_SASL_USER = 'app';
export const DOCKER_SASL_PASSWORD = 'app-secret';

/** True when a Docker (or compatible) engine answers; testcontainers does the looking. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export interface DockerKafka {
  readonly brokers: string;
  readonly saslBrokers: string;
  stop(): Promise<void>;
}

/**
 * One KRaft node with a PLAINTEXT and a SASL_PLAINTEXT listener. The advertised ports are the
 * host's mapped ports, known only after the container started, so the container waits for a
 * start script that is copied in afterwards (the pattern of testcontainers' Kafka module).
 */
export async function startDockerKafka(): Promise<DockerKafka> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container: StartedTestContainer = await new GenericContainer(IMAGE)
    .withExposedPorts(9092, 9192)
    .withEntrypoint(['sh', '-c'])
    .withCommand([`echo waiting-for-start-script; while [ ! -f ${START_SCRIPT} ]; do sleep 0.1; done; exec sh ${START_SCRIPT}`])
    .withWaitStrategy(Wait.forLogMessage('waiting-for-start-script'))
    .withStartupTimeout(120_000)
    .start();
  const host = container.getHost();
  const plain = container.getMappedPort(9092);
  const sasl = container.getMappedPort(9192);
  const jaas = (module: string, extra = ''): string => `${module} required${extra};`;
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    'controller.quorum.voters=1@localhost:9093',
    'controller.listener.names=CONTROLLER',
    'listeners=PLAINTEXT://0.0.0.0:9092,SASL://0.0.0.0:9192,CONTROLLER://localhost:9093,INTERNAL://localhost:9094',
    `advertised.listeners=PLAINTEXT://${host}:${plain},SASL://${host}:${sasl},INTERNAL://localhost:9094`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT',
    'inter.broker.listener.name=INTERNAL',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    `listener.name.sasl.plain.sasl.jaas.config=${jaas('org.apache.kafka.common.security.plain.PlainLoginModule', ` user_${DOCKER_SASL_USER}="${DOCKER_SASL_PASSWORD}"`)}`,
    `listener.name.sasl.scram-sha-256.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
    `listener.name.sasl.scram-sha-512.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
    'log.dirs=/tmp/kraft-logs',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
  ].join('\n');
  const scram = (mechanism: string): string => `--add-scram '${mechanism}=[name=${DOCKER_SASL_USER},password=${DOCKER_SASL_PASSWORD}]'`;
  const script = [
    'set -e',
    `cat > /tmp/server.properties <<'PROPS'\n${props}\nPROPS`,
    `/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" --config /tmp/server.properties ${scram('SCRAM-SHA-256')} ${scram('SCRAM-SHA-512')}`,
    'exec /opt/kafka/bin/kafka-server-start.sh /tmp/server.properties',
  ].join('\n');
  await container.copyContentToContainer([{ content: script, target: START_SCRIPT, mode: 0o755 }]);
  const brokers = `${host}:${plain}`;
  return {
    brokers,
    saslBrokers: `${host}:${sasl}`,
    async stop() {
      await container.stop();
    },
  };
}
