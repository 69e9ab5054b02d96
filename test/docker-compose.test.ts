import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs where these tests run, so the compose file's structure is what we check.
const text = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
const runnerConfig = readFileSync(new URL('../scripts/kafka/config.mjs', import.meta.url), 'utf8');
const DEFAULT_KAFKA_VERSION = /DEFAULT_KAFKA_VERSION = '([^']+)'/.exec(runnerConfig)?.[1];

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[] | string;
}
const compose = parse(text) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const brokers = ['kafka-1', 'kafka-2', 'kafka-3'];
const service = (name: string): Service => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};

describe('docker-compose.yml', () => {
  it('runs three KRaft brokers of the version pnpm kafka:up uses, with named volumes and healthchecks', () => {
    const voters = service('kafka-1').environment?.['KAFKA_CONTROLLER_QUORUM_VOTERS'];
    expect(voters).toBe('1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093');
    for (const [index, name] of brokers.entries()) {
      const broker = service(name);
      expect(broker.image).toBe(`apache/kafka:${String(DEFAULT_KAFKA_VERSION)}`);
      expect(broker.environment?.['KAFKA_NODE_ID']).toBe(String(index + 1));
      expect(broker.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
      expect(broker.environment?.['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe(voters);
      expect(broker.environment).not.toHaveProperty('KAFKA_ZOOKEEPER_CONNECT');
      expect(broker.healthcheck?.test.join(' ')).toContain('kafka-broker-api-versions');
      const volume = broker.volumes?.[0]?.split(':')[0] ?? '';
      expect(compose.volumes).toHaveProperty(volume);
    }
  });

  it('creates the game topic with 4 partitions and replication factor 2 once the brokers are healthy', () => {
    const init = service('kafka-init');
    const command = [init.command ?? ''].flat().join(' ');
    expect(command).toMatch(/--topic game --partitions 4 --replication-factor 2/);
    for (const name of brokers) expect(init.depends_on?.[name]?.condition).toBe('service_healthy');
  });

  it('runs Redis with a healthcheck', () => {
    expect(service('redis').image).toMatch(/^redis:/);
    expect(service('redis').healthcheck?.test).toContain('ping');
  });

  it('runs two servers on the Kafka bus on two host ports, after the brokers, Redis and the topic', () => {
    const ports = ['server-1', 'server-2'].map((name) => {
      const server = service(name);
      expect(server.build).toBeDefined();
      expect(server.environment?.['BUS']).toBe('kafka');
      expect(server.environment?.['KAFKA_BROKERS']).toBe('kafka-1:9092,kafka-2:9092,kafka-3:9092');
      expect(server.depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
      expect(server.depends_on?.['redis']?.condition).toBe('service_healthy');
      return server.ports?.[0]?.split(':')[0];
    });
    expect(ports).toEqual(['8081', '8082']);
  });

  it('needs no host IP address pasted in', () => {
    expect(text).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
  });

  it('builds servers whose image runs exactly what pnpm start runs, with node as PID 1', () => {
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    const start = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
    expect((JSON.parse(cmd ?? '[]') as string[]).join(' ')).toBe(start);
  });
});
