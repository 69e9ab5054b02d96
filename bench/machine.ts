// What the results ran on: printed at the start and stored in the JSON (docs/benchmarks.md copies it).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { withTimeout } from './cleanup.js';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly redis: string;
  readonly kafka: string;
  readonly openFilesLimit: string;
  readonly clockTicks: number;
}

async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await withTimeout(redis.connect(), 3000, 'redis');
    const info = await withTimeout(redis.info('server'), 3000, 'redis info');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'not reachable';
  } finally {
    redis.disconnect();
  }
}

/** The version directory scripts/kafka downloads into (.kafka/lib/<version>), else unknown. */
function kafkaVersion(repoRoot: string): string {
  const dir = join(repoRoot, '.kafka', 'lib');
  if (!existsSync(dir)) return 'unknown (no .kafka/lib)';
  const versions = readdirSync(dir).filter((d) => /^\d+\.\d+/.test(d));
  return versions.length > 0 ? versions.join(', ') : 'unknown';
}

function shell(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, [...args], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(redisUrl: string, repoRoot: string, clockTicks: number): Promise<Machine> {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  return {
    nproc: Number(shell('nproc', [])) || cpus().length,
    cpuModel: model,
    node: process.version,
    redis: await redisVersion(redisUrl),
    kafka: kafkaVersion(repoRoot),
    openFilesLimit: shell('sh', ['-c', 'echo "soft $(ulimit -Sn) hard $(ulimit -Hn)"']),
    clockTicks,
  };
}
