// Workload `connections`: memory per idle subscribed connection (VmRSS of the server before and
// after N connections in rooms of 4, each after a full GC through the inspector), and the time to
// accept 10,000 and 20,000 connections (connect + welcome), each step on a fresh server process.
import { openFilesLimit, rssBytes } from '../cpu.js';
import { collectGarbage, freePort } from '../gc-settle.js';
import type { ConnectCommand } from '../load/load-protocol.js';
import { split, WorkerPool } from '../load/worker-pool.js';
import { systemsFor, type BenchOptions, type SystemName } from '../options.js';
import { startSystem } from '../system-servers.js';
import { SYSTEMS, type SystemSpec } from '../systems.js';

export const CONNECTION_SYSTEMS: readonly SystemName[] = ['ws-single', 'ours-memory', 'sio-redis', 'ours-redis'];
/** File descriptors a server needs besides its sockets (stdio, listen socket, bus, inspector). */
const FD_MARGIN = 100;
const ROOM_SIZE = 4;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface AcceptStep {
  readonly target: number;
  readonly attempted: number;
  readonly connections: number;
  readonly failed: number;
  readonly ms: number;
  readonly note?: string;
}

export interface ConnectionsSummary {
  readonly system: SystemName;
  readonly rss?: { readonly connections: number; readonly failed: number; readonly beforeBytes: number; readonly afterBytes: number; readonly perConnectionBytes: number };
  readonly accept: readonly AcceptStep[];
  readonly error?: string;
}

function commands(spec: SystemSpec, url: string, count: number, subscribe: boolean, workers: number, o: BenchOptions, tag: string): ConnectCommand[] {
  const rooms = Math.ceil(count / ROOM_SIZE);
  const channels = Array.from({ length: rooms }, (_, i) => `bench:${o.runId}-${spec.name}-${tag}:${i}`);
  return split(channels, workers).map((part) => ({
    type: 'connect',
    client: spec.client === 'sio' ? 'sio' : 'ours',
    urls: [url, url],
    channels: part,
    players: ROOM_SIZE,
    subscribe,
    concurrency: o.connectConcurrency,
    startTimeoutMs: o.startTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
  }));
}

/** Opens `count` connections (rounded up to whole rooms) to `url` from fresh workers; returns the pool to close. */
async function open(spec: SystemSpec, url: string, count: number, subscribe: boolean, o: BenchOptions, tag: string) {
  const workers = Math.max(1, Math.ceil(count / o.connectionsPerWorker));
  const pool = await WorkerPool.start(workers);
  try {
    const summary = await pool.connect(commands(spec, url, count, subscribe, workers, o, tag), o.startTimeoutMs * 4 + count * 20);
    return { pool, summary };
  } catch (error) {
    await pool.close();
    throw error;
  }
}

async function rssStep(spec: SystemSpec, o: BenchOptions): Promise<NonNullable<ConnectionsSummary['rss']>> {
  const port = await freePort();
  const running = await startSystem(spec, o, { onlyA: true, nodeFlags: [`--inspect=127.0.0.1:${port}`] });
  try {
    const pid = running.servers[0]?.pid ?? -1;
    await sleep(1000);
    await collectGarbage(port);
    await sleep(500);
    const beforeBytes = rssBytes(pid);
    const { pool, summary } = await open(spec, running.urls[0], o.rssConnections, true, o, 'rss');
    try {
      await sleep(1000);
      await collectGarbage(port);
      await sleep(500);
      const afterBytes = rssBytes(pid);
      return {
        connections: summary.connections,
        failed: summary.failed,
        beforeBytes,
        afterBytes,
        perConnectionBytes: summary.connections > 0 ? (afterBytes - beforeBytes) / summary.connections : Number.NaN,
      };
    } finally {
      await pool.close();
    }
  } finally {
    await running.stop();
  }
}

async function acceptStep(spec: SystemSpec, target: number, o: BenchOptions): Promise<AcceptStep> {
  const running = await startSystem(spec, o, { onlyA: true });
  try {
    const limit = openFilesLimit(running.servers[0]?.pid ?? -1);
    const attempted = Number.isFinite(limit) ? Math.min(target, Math.floor((limit - FD_MARGIN) / ROOM_SIZE) * ROOM_SIZE) : target;
    const note = attempted < target ? `capped at ${attempted}: the server's open-file limit is ${limit} (ulimit -n; raise the hard limit to run ${target})` : undefined;
    // summary.ms runs from the connect commands to the last worker's answer: forking the workers is not in it.
    const { pool, summary } = await open(spec, running.urls[0], attempted, false, o, `acc${target}`);
    await pool.close();
    return { target, attempted, connections: summary.connections, failed: summary.failed, ms: summary.ms, ...(note === undefined ? {} : { note }) };
  } finally {
    await running.stop();
  }
}

export async function runConnections(o: BenchOptions): Promise<ConnectionsSummary[]> {
  const out: ConnectionsSummary[] = [];
  for (const name of systemsFor(o, CONNECTION_SYSTEMS)) {
    const spec = SYSTEMS[name];
    const reason = await spec.precheck(o);
    if (reason !== undefined) {
      say(`- ${name}: skipped: ${reason}`);
      out.push({ system: name, accept: [], error: `skipped: ${reason}` });
      continue;
    }
    try {
      const rss = await rssStep(spec, o);
      say(`  ${name}: ${rss.connections} idle subscribed connections: RSS ${(rss.beforeBytes / 2 ** 20).toFixed(1)} -> ${(rss.afterBytes / 2 ** 20).toFixed(1)} MiB, ${(rss.perConnectionBytes / 1024).toFixed(1)} KiB per connection${rss.failed > 0 ? `, ${rss.failed} failed` : ''}`);
      const accept: AcceptStep[] = [];
      for (const target of o.acceptConnections) {
        const step = await acceptStep(spec, target, o);
        say(`  ${name}: accepted ${step.connections}/${step.attempted} connections in ${(step.ms / 1000).toFixed(2)} s${step.note === undefined ? '' : ` (${step.note})`}`);
        accept.push(step);
        await sleep(500);
      }
      out.push({ system: name, rss, accept });
    } catch (error) {
      say(`  ${name} failed: ${describe(error)}`);
      out.push({ system: name, accept: [], error: describe(error) });
    }
  }
  return out;
}

const kib = (b: number): string => (Number.isFinite(b) ? (b / 1024).toFixed(1) : '-');

export function connectionsTable(rows: readonly ConnectionsSummary[], o: BenchOptions): string {
  const heads = o.acceptConnections.map((n) => `accept ${n} s`);
  const lines = [
    `| system | RSS before MiB | RSS after ${o.rssConnections} conns MiB | KiB per idle conn | ${heads.join(' | ')} |`,
    `|---|---:|---:|---:|${heads.map(() => '---:').join('|')}|`,
  ];
  for (const r of rows) {
    if (r.rss === undefined) {
      lines.push(`| ${r.system} | ${r.error ?? 'failed'} | | | ${heads.map(() => '').join(' | ')} |`);
      continue;
    }
    const accept = o.acceptConnections.map((n) => {
      const s = r.accept.find((a) => a.target === n);
      if (s === undefined) return '-';
      return `${(s.ms / 1000).toFixed(2)}${s.attempted < n ? ` (${s.connections} of ${s.attempted}, fd limit)` : s.failed > 0 ? ` (${s.failed} failed)` : ''}`;
    });
    lines.push(`| ${r.system} | ${(r.rss.beforeBytes / 2 ** 20).toFixed(1)} | ${(r.rss.afterBytes / 2 ** 20).toFixed(1)} | ${kib(r.rss.perConnectionBytes)} | ${accept.join(' | ')} |`);
  }
  return lines.join('\n');
}
