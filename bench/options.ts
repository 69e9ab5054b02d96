import { randomBytes } from 'node:crypto';

export const ALL_SYSTEMS = ['ours-redis', 'ours-kafka', 'ours-memory', 'sio-redis', 'sio-streams', 'ws-redis', 'ws-single', 'kafka-loop'] as const;
export type SystemName = (typeof ALL_SYSTEMS)[number];
export const ALL_WORKLOADS = ['fanout', 'rooms', 'rooms-scale', 'fanout-rate', 'connections'] as const;
export type WorkloadName = (typeof ALL_WORKLOADS)[number];

/** Every knob of the benchmark, read from `BENCH_*` (and the usual bus) environment variables and `--workload`. */
export interface BenchOptions {
  readonly workloads: readonly WorkloadName[];
  /** BENCH_SYSTEMS: when set, each workload runs only the systems of its own list that are named here. */
  readonly systems: readonly SystemName[] | undefined;
  // fanout (the original workload)
  readonly subscribers: number;
  readonly messages: number;
  readonly window: number;
  readonly rounds: number;
  readonly payloadBytes: number;
  // timed workloads: rooms, rooms-scale, fanout-rate
  readonly rooms: number;
  readonly players: number;
  readonly roomRate: number;
  readonly roomsDurationS: number;
  readonly scaleRooms: readonly number[];
  readonly scaleTotalRate: number;
  readonly scaleDurationS: number;
  readonly fanoutRate: number;
  readonly fanoutRateSubscribers: number;
  readonly fanoutRateDurationS: number;
  readonly timedRounds: number;
  readonly scaleRounds: number;
  readonly drainIdleMs: number;
  // connections
  readonly rssConnections: number;
  readonly acceptConnections: readonly number[];
  // load generator
  readonly connectionsPerWorker: number;
  readonly connectConcurrency: number;
  // shared
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  readonly roundTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Unique per run: Redis keys, Kafka topics, rooms and channels all carry it. */
  readonly runId: string;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

function ints(env: NodeJS.ProcessEnv, name: string, fallback: readonly number[], min: number, max: number): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  return raw.split(',').map((part, i) => int({ [name]: part }, name, fallback[i] ?? min, min, max));
}

/** BENCH_<WORKLOAD>_DURATION_S, else BENCH_DURATION_S (one knob to shorten every timed workload), else the default. */
const duration = (env: NodeJS.ProcessEnv, name: string, fallback: number): number =>
  int(env, name, int(env, 'BENCH_DURATION_S', fallback, 1, 3600), 1, 3600);

/** Only loopback hosts: the benchmark must never reach out of the machine. */
function loopbackOnly(name: string, value: string): string {
  for (const entry of value.split(',')) {
    const host = entry.includes('://') ? new URL(entry).hostname : (entry.split(':')[0] ?? '');
    if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
      throw new Error(`${name}=${JSON.stringify(value)}: only loopback addresses are allowed`);
    }
  }
  return value;
}

function list<T extends string>(raw: string, known: readonly T[], what: string): T[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.includes('all')) return [...known];
  const unknown = names.filter((s) => !(known as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`${what}: unknown ${unknown.join(', ')} (known: ${known.join(', ')}, or all)`);
  return names as T[];
}

/** `--workload rooms`, `--workload=rooms,fanout`; else BENCH_WORKLOAD; else all. */
function workloadArg(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--workload' || arg === '-w') return argv[i + 1] ?? '';
    if (arg.startsWith('--workload=')) return arg.slice('--workload='.length);
  }
  return env['BENCH_WORKLOAD'] ?? 'all';
}

export function loadOptions(env: NodeJS.ProcessEnv, argv: readonly string[]): BenchOptions {
  const systems = env['BENCH_SYSTEMS'];
  return {
    workloads: list(workloadArg(argv, env), ALL_WORKLOADS, 'workload'),
    systems: systems === undefined || systems.trim() === '' ? undefined : list(systems, ALL_SYSTEMS, 'BENCH_SYSTEMS'),
    subscribers: int(env, 'BENCH_SUBSCRIBERS', 50, 2, 2000),
    messages: int(env, 'BENCH_MESSAGES', 5000, 1, 1_000_000),
    window: int(env, 'BENCH_WINDOW', 100, 1, 10_000),
    rounds: int(env, 'BENCH_ROUNDS', 3, 1, 21),
    payloadBytes: int(env, 'BENCH_PAYLOAD_BYTES', 0, 0, 32_768),
    rooms: int(env, 'BENCH_ROOMS', 500, 1, 20_000),
    players: int(env, 'BENCH_PLAYERS', 4, 2, 100),
    roomRate: int(env, 'BENCH_ROOM_RATE', 10, 1, 1000),
    roomsDurationS: duration(env, 'BENCH_ROOMS_DURATION_S', 10),
    scaleRooms: ints(env, 'BENCH_SCALE_ROOMS', [100, 1000, 5000], 1, 20_000),
    scaleTotalRate: int(env, 'BENCH_SCALE_TOTAL_RATE', 5000, 1, 100_000),
    scaleDurationS: duration(env, 'BENCH_SCALE_DURATION_S', 6),
    fanoutRate: int(env, 'BENCH_FANOUT_RATE', 500, 1, 100_000),
    fanoutRateSubscribers: int(env, 'BENCH_FANOUT_RATE_SUBSCRIBERS', 100, 2, 10_000),
    fanoutRateDurationS: duration(env, 'BENCH_FANOUT_RATE_DURATION_S', 8),
    timedRounds: int(env, 'BENCH_TIMED_ROUNDS', 2, 1, 21),
    scaleRounds: int(env, 'BENCH_SCALE_ROUNDS', 1, 1, 21),
    drainIdleMs: int(env, 'BENCH_DRAIN_IDLE_MS', 3000, 100, 600_000),
    rssConnections: int(env, 'BENCH_RSS_CONNECTIONS', 5000, 1, 100_000),
    acceptConnections: ints(env, 'BENCH_ACCEPT_CONNECTIONS', [10_000, 20_000], 1, 100_000),
    connectionsPerWorker: int(env, 'BENCH_CONNECTIONS_PER_WORKER', 8000, 100, 18_000),
    connectConcurrency: int(env, 'BENCH_CONNECT_CONCURRENCY', 200, 1, 5000),
    redisUrl: loopbackOnly('REDIS_URL', env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'),
    kafkaBrokers: loopbackOnly('KAFKA_BROKERS', env['KAFKA_BROKERS'] ?? '127.0.0.1:9092'),
    roundTimeoutMs: int(env, 'BENCH_ROUND_TIMEOUT_MS', 120_000, 1000, 3_600_000),
    idleTimeoutMs: int(env, 'BENCH_IDLE_TIMEOUT_MS', 10_000, 100, 600_000),
    startTimeoutMs: int(env, 'BENCH_START_TIMEOUT_MS', 30_000, 1000, 600_000),
    requestTimeoutMs: int(env, 'BENCH_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    runId: `b${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  };
}

/** The systems of a workload's own list that BENCH_SYSTEMS (if set) allows, in the workload's order. */
export function systemsFor(options: BenchOptions, workloadSystems: readonly SystemName[]): SystemName[] {
  return workloadSystems.filter((s) => options.systems === undefined || options.systems.includes(s));
}
