// CPU time and memory of processes, read from /proc: utime + stime of /proc/<pid>/stat (clock
// ticks, converted with `getconf CLK_TCK`), VmRSS of /proc/<pid>/status. Also finds the bus
// processes: the redis-server listening on REDIS_URL's port and the local Kafka JVMs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (100 on practically every Linux), asked once. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of `pid` in seconds; NaN when the process is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of `pid` in bytes; NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** The soft "Max open files" limit of `pid`, from /proc/<pid>/limits. */
export function openFilesLimit(pid: number): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return match === null || match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function scanProc(match: (cmd: string, comm: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm = '';
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (match(cmdline(entry), comm)) found.push(Number(entry));
  }
  return found.sort((a, b) => a - b);
}

/** The redis-server whose command line names REDIS_URL's port (redis-server shows `host:port` there). */
export function redisPids(redisUrl: string): number[] {
  const port = new URL(redisUrl).port || '6379';
  return scanProc((cmd, comm) => comm === 'redis-server' && cmd.includes(`:${port}`));
}

/**
 * The Kafka JVMs: the pid files that scripts/kafka/processes.mjs writes to .kafka/pids (checked
 * against /proc, a pid may have been reused), else any process running kafka.Kafka.
 */
export function kafkaPids(repoRoot: string): number[] {
  const dir = join(repoRoot, '.kafka', 'pids');
  const fromFiles = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^node-\d+\.pid$/.test(f))
        .map((f) => Number.parseInt(readFileSync(join(dir, f), 'utf8'), 10))
        .filter((pid) => Number.isInteger(pid) && cmdline(String(pid)).includes('kafka.Kafka'))
    : [];
  return fromFiles.length > 0 ? fromFiles.sort((a, b) => a - b) : scanProc((cmd) => cmd.includes('kafka.Kafka'));
}

/** CPU seconds per pid at one moment; `since` gives what each used from `before` to now. */
export class CpuSnapshot {
  private constructor(private readonly seconds: ReadonlyMap<number, number>) {}

  static take(pids: readonly number[]): CpuSnapshot {
    return new CpuSnapshot(new Map(pids.map((pid) => [pid, cpuSeconds(pid)])));
  }

  /** Sum over the snapshot's pids of CPU seconds used since `before`. */
  since(before: CpuSnapshot): number {
    let total = 0;
    for (const [pid, now] of this.seconds) total += now - (before.seconds.get(pid) ?? now);
    return total;
  }
}
