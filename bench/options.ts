import { randomBytes } from 'node:crypto';

/** Every knob of the benchmark, read from `BENCH_*` (and the usual bus) environment variables. */
export interface BenchOptions {
  readonly subscribers: number;
  readonly messages: number;
  readonly window: number;
  readonly rounds: number;
  readonly payloadBytes: number;
  readonly systems: readonly string[];
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  readonly roundTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Unique per run: Redis keys, Kafka topics, rooms and channels all carry it. */
  readonly runId: string;
}

export const ALL_SYSTEMS = ['ours-redis', 'sio-redis', 'sio-streams', 'ours-kafka'] as const;
export type SystemName = (typeof ALL_SYSTEMS)[number];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}

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

export function loadOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const systems = (env['BENCH_SYSTEMS'] ?? ALL_SYSTEMS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = systems.filter((s) => !(ALL_SYSTEMS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_SYSTEMS: unknown ${unknown.join(', ')} (known: ${ALL_SYSTEMS.join(', ')})`);
  return {
    subscribers: int(env, 'BENCH_SUBSCRIBERS', 50, 2, 2000),
    messages: int(env, 'BENCH_MESSAGES', 5000, 1, 1_000_000),
    window: int(env, 'BENCH_WINDOW', 100, 1, 10_000),
    rounds: int(env, 'BENCH_ROUNDS', 3, 1, 21),
    payloadBytes: int(env, 'BENCH_PAYLOAD_BYTES', 0, 0, 32_768),
    systems,
    redisUrl: loopbackOnly('REDIS_URL', env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'),
    kafkaBrokers: loopbackOnly('KAFKA_BROKERS', env['KAFKA_BROKERS'] ?? '127.0.0.1:9092'),
    roundTimeoutMs: int(env, 'BENCH_ROUND_TIMEOUT_MS', 120_000, 1000, 3_600_000),
    idleTimeoutMs: int(env, 'BENCH_IDLE_TIMEOUT_MS', 10_000, 100, 600_000),
    startTimeoutMs: int(env, 'BENCH_START_TIMEOUT_MS', 30_000, 1000, 600_000),
    requestTimeoutMs: int(env, 'BENCH_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    runId: `b${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
  };
}
