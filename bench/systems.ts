import { connectOurs } from './clients/ours-client.js';
import { connectSocketIo } from './clients/socket-io-client.js';
import type { BenchConnection } from './clients/bench-connection.js';
import { probeKafka } from './cleanup.js';
import type { BenchOptions, SystemName } from './options.js';

/** How to start one system's two server processes and talk to them. */
export interface SystemSpec {
  readonly name: SystemName;
  readonly label: string;
  /** Undefined when the system can run here, else the reason it is skipped. */
  precheck(options: BenchOptions): Promise<string | undefined>;
  /** `node` arguments and extra environment for instance `A` or `B`. */
  server(options: BenchOptions, instance: 'A' | 'B'): { args: string[]; env: NodeJS.ProcessEnv };
  connect(url: string, options: BenchOptions): Promise<BenchConnection>;
}

const OUR_SERVER = ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/main.ts'];
const PEER_SERVER = ['--import', 'tsx', 'bench/peers/socket-io-server.ts'];

/** Redis key prefix, Kafka topic prefix and Socket.IO keys all start with the run id. */
export const redisPrefix = (options: BenchOptions): string => `${options.runId}:`;
export const kafkaPrefix = (options: BenchOptions): string => `${options.runId}.`;

function oursEnv(options: BenchOptions, instance: 'A' | 'B', bus: 'redis' | 'kafka'): NodeJS.ProcessEnv {
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

const ours = (url: string, o: BenchOptions): Promise<BenchConnection> => connectOurs(url, o.startTimeoutMs, o.requestTimeoutMs);
const peer = (url: string, o: BenchOptions): Promise<BenchConnection> => connectSocketIo(url, o.startTimeoutMs, o.requestTimeoutMs);

export const SYSTEMS: Readonly<Record<SystemName, SystemSpec>> = {
  'ours-redis': {
    name: 'ours-redis',
    label: 'ours, BUS=redis (Redis Streams)',
    precheck: () => Promise.resolve(undefined),
    server: (o, i) => ({ args: OUR_SERVER, env: oursEnv(o, i, 'redis') }),
    connect: ours,
  },
  'sio-redis': {
    name: 'sio-redis',
    label: 'Socket.IO + @socket.io/redis-adapter (pub/sub)',
    precheck: () => packageMissing('@socket.io/redis-adapter'),
    server: (o) => ({ args: PEER_SERVER, env: { PORT: '0', SIO_ADAPTER: 'redis', REDIS_URL: o.redisUrl, SIO_KEY: `${o.runId}-sio` } }),
    connect: peer,
  },
  'sio-streams': {
    name: 'sio-streams',
    label: 'Socket.IO + @socket.io/redis-streams-adapter',
    precheck: () => packageMissing('@socket.io/redis-streams-adapter'),
    server: (o) => ({ args: PEER_SERVER, env: { PORT: '0', SIO_ADAPTER: 'streams', REDIS_URL: o.redisUrl, SIO_KEY: `${o.runId}-sios` } }),
    connect: peer,
  },
  'ours-kafka': {
    name: 'ours-kafka',
    label: 'ours, BUS=kafka',
    precheck: (o) => probeKafka(o.kafkaBrokers, 8000),
    server: (o, i) => ({ args: OUR_SERVER, env: oursEnv(o, i, 'kafka') }),
    connect: ours,
  },
};
