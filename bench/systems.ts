import { connectOurs } from './clients/ours-client.js';
import { connectSocketIo } from './clients/socket-io-client.js';
import type { BenchConnection } from './clients/bench-connection.js';
import { probeKafka } from './cleanup.js';
import type { ClientKind } from './load/load-protocol.js';
import type { BenchOptions, SystemName } from './options.js';

/** How to start one system's server processes and talk to them. */
export interface SystemSpec {
  readonly name: SystemName;
  readonly label: string;
  /** 2: instances A and B share a bus; 1: a single process plays both A and B. */
  readonly processes: 1 | 2;
  /** The client library; 'loop' is kafka-loop, which has no clients and is forked like a load worker. */
  readonly client: ClientKind | 'loop';
  /** Whose CPU counts as the bus's. */
  readonly bus: 'redis' | 'kafka' | 'none';
  /** Undefined when the system can run here, else the reason it is skipped. */
  precheck(options: BenchOptions): Promise<string | undefined>;
  /** `node` arguments and extra environment for instance `A` or `B`. */
  server(options: BenchOptions, instance: 'A' | 'B'): { args: string[]; env: NodeJS.ProcessEnv };
}

const OUR_SERVER = ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/main.ts'];
const peer = (file: string): string[] => ['--import', 'tsx', `bench/peers/${file}`];

/** Redis key prefix, Kafka topic prefix and Socket.IO keys all start with the run id. */
export const redisPrefix = (options: BenchOptions): string => `${options.runId}:`;
export const kafkaPrefix = (options: BenchOptions): string => `${options.runId}.`;

function oursEnv(options: BenchOptions, instance: 'A' | 'B', bus: 'redis' | 'kafka' | 'memory'): NodeJS.ProcessEnv {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    BUS: bus,
    INSTANCE_ID: `bench-${bus}-${instance}`,
    // "server listening" is an info line; the server logs nothing per connection or message at info.
    LOG_LEVEL: 'info',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix(options),
    KAFKA_BROKERS: options.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: kafkaPrefix(options),
    // The fanout workloads publish as fast as they can from one connection; the peers limit nothing either.
    PUBLISH_RATE_PER_CONNECTION: '0',
    // 20,000 idle connections subscribed to rooms: the default (100) is per connection and fits.
  };
}

async function packageMissing(name: string): Promise<string | undefined> {
  try {
    await import(name);
    return undefined;
  } catch (error) {
    return `${name} is not installed (${error instanceof Error ? error.message : String(error)})`;
  }
}

const always = (): Promise<undefined> => Promise.resolve(undefined);
const kafkaUp = (o: BenchOptions): Promise<string | undefined> => probeKafka(o.kafkaBrokers, 8000);

export const SYSTEMS: Readonly<Record<SystemName, SystemSpec>> = {
  'ours-redis': {
    name: 'ours-redis', label: 'ours, BUS=redis (Redis Streams)', processes: 2, client: 'ours', bus: 'redis',
    precheck: always,
    server: (o, i) => ({ args: OUR_SERVER, env: oursEnv(o, i, 'redis') }),
  },
  'ours-kafka': {
    name: 'ours-kafka', label: 'ours, BUS=kafka', processes: 2, client: 'ours', bus: 'kafka',
    precheck: kafkaUp,
    server: (o, i) => ({ args: OUR_SERVER, env: oursEnv(o, i, 'kafka') }),
  },
  'ours-memory': {
    name: 'ours-memory', label: 'ours, BUS=memory, one process', processes: 1, client: 'ours', bus: 'none',
    precheck: always,
    server: (o, i) => ({ args: OUR_SERVER, env: oursEnv(o, i, 'memory') }),
  },
  'sio-redis': {
    name: 'sio-redis', label: 'Socket.IO + @socket.io/redis-adapter (pub/sub)', processes: 2, client: 'sio', bus: 'redis',
    precheck: () => packageMissing('@socket.io/redis-adapter'),
    server: (o) => ({ args: peer('socket-io-server.ts'), env: { PORT: '0', SIO_ADAPTER: 'redis', REDIS_URL: o.redisUrl, SIO_KEY: `${o.runId}-sio` } }),
  },
  'sio-streams': {
    name: 'sio-streams', label: 'Socket.IO + @socket.io/redis-streams-adapter', processes: 2, client: 'sio', bus: 'redis',
    precheck: () => packageMissing('@socket.io/redis-streams-adapter'),
    server: (o) => ({ args: peer('socket-io-server.ts'), env: { PORT: '0', SIO_ADAPTER: 'streams', REDIS_URL: o.redisUrl, SIO_KEY: `${o.runId}-sios` } }),
  },
  'ws-redis': {
    name: 'ws-redis', label: 'bare ws relaying over Redis pub/sub', processes: 2, client: 'ours', bus: 'redis',
    precheck: always,
    server: (o, i) => ({ args: peer('ws-redis-relay.ts'), env: { PORT: '0', REDIS_URL: o.redisUrl, RELAY_PREFIX: `${o.runId}:wsr:`, INSTANCE_ID: `ws-redis-${i}` } }),
  },
  'ws-single': {
    name: 'ws-single', label: 'bare ws, in-process rooms, one process', processes: 1, client: 'ours', bus: 'none',
    precheck: always,
    server: () => ({ args: peer('ws-single.ts'), env: { PORT: '0' } }),
  },
  'kafka-loop': {
    name: 'kafka-loop', label: 'bare kafkajs produce -> 2 consumer groups, no WebSocket', processes: 1, client: 'loop', bus: 'kafka',
    precheck: kafkaUp,
    server: () => ({ args: peer('kafka-loop.ts'), env: {} }),
  },
};

/** Opens one client connection to a system's server (not for kafka-loop). */
export function connectClient(spec: SystemSpec, url: string, o: BenchOptions): Promise<BenchConnection> {
  return spec.client === 'sio' ? connectSocketIo(url, o.startTimeoutMs, o.requestTimeoutMs) : connectOurs(url, o.startTimeoutMs, o.requestTimeoutMs);
}
