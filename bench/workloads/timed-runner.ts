// Runs one timed workload (rooms, rooms-scale, fanout-rate): every system's servers are started up
// front, then each (shape, round) is played on every system in turn, the order rotating, so that
// noise from the rest of the machine spreads over all systems. Each measurement forks fresh
// load workers, connects all players, samples CPU of the servers and the bus, runs, samples again.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, kafkaPids, redisPids } from '../cpu.js';
import { split, WorkerPool } from '../load/worker-pool.js';
import type { BenchOptions, SystemName } from '../options.js';
import { startSystem, type RunningSystem } from '../system-servers.js';
import { kafkaPrefix, SYSTEMS, type SystemSpec } from '../systems.js';
import { mergeResults, summarizeRounds, type RoomShape, type TimedMeasurement, type TimedSummary } from './timed-result.js';

const KAFKA_LOOP = join(import.meta.dirname, '..', 'peers', 'kafka-loop.ts');
const REPO_ROOT = join(import.meta.dirname, '..', '..');
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface TimedOutcome {
  readonly workload: string;
  readonly measurements: TimedMeasurement[];
  readonly summaries: TimedSummary[];
  readonly skipped: { system: SystemName; reason: string }[];
}

interface Live {
  readonly spec: SystemSpec;
  /** Undefined for kafka-loop, which is forked per measurement. */
  readonly running?: RunningSystem;
  failure?: string;
}

/** Share of one core under which the servers count as idle, and the longest wait for it. */
const SETTLE_CPU = 0.15;
const SETTLE_MAX_MS = 20_000;

/**
 * Waits until the servers are done with the connecting and subscribing (their CPU under
 * SETTLE_CPU of a core over 500 ms), so the measured window holds steady-state delivery only.
 */
async function settle(pids: readonly number[]): Promise<number> {
  const started = performance.now();
  const total = (): number => pids.reduce((n, pid) => n + cpuSeconds(pid), 0);
  let before = total();
  while (performance.now() - started < SETTLE_MAX_MS) {
    await sleep(500);
    const now = total();
    if (!((now - before) / 0.5 > SETTLE_CPU)) break;
    before = now;
  }
  return performance.now() - started;
}

function busPids(spec: SystemSpec, options: BenchOptions): number[] {
  if (spec.bus === 'redis') return redisPids(options.redisUrl);
  if (spec.bus === 'kafka') return kafkaPids(REPO_ROOT);
  return [];
}

async function measure(workload: string, live: Live, shape: RoomShape, round: number, options: BenchOptions, durationMs: number): Promise<TimedMeasurement> {
  const { spec } = live;
  const loop = spec.client === 'loop';
  const total = shape.rooms * shape.players;
  const workers = loop ? 1 : Math.ceil(total / options.connectionsPerWorker);
  const tag = `${workload}-${shape.tag.replace(/[^A-Za-z0-9]/g, '-')}-${round}`;
  const channels = Array.from({ length: shape.rooms }, (_, i) => `bench:${options.runId}-${spec.name}-${tag}:${i}`);
  const env = loop ? { ...process.env, KAFKA_BROKERS: options.kafkaBrokers, KAFKA_LOOP_TOPIC: `${kafkaPrefix(options)}loop-${tag}` } : process.env;
  const pool = await WorkerPool.start(workers, loop ? KAFKA_LOOP : undefined, env);
  try {
    const urls = live.running?.urls ?? ['', ''];
    const connect = await pool.connect(
      split(channels, workers).map((part) => ({
        type: 'connect' as const,
        client: spec.client === 'sio' ? ('sio' as const) : ('ours' as const),
        urls,
        channels: part,
        players: shape.players,
        subscribe: true,
        concurrency: options.connectConcurrency,
        startTimeoutMs: options.startTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
      })),
      options.startTimeoutMs * 4 + total * 20,
    );
    if (connect.connections === 0) throw new Error(`no connection succeeded: ${connect.firstError ?? ''}`);
    if (connect.failed > 0) say(`    ${spec.name}: ${connect.failed} of ${total} connections failed (${connect.firstError ?? ''})`);
    const serverPids = loop ? pool.pids() : (live.running?.servers ?? []).map((s) => s.pid);
    const settledMs = await settle(serverPids);
    if (settledMs > 2000) say(`    ${spec.name}: servers busy for ${(settledMs / 1000).toFixed(1)} s after connecting (subscriptions); waited before measuring`);
    const bus = busPids(spec, options);
    const serverBefore = serverPids.map(cpuSeconds);
    const busBefore = bus.map(cpuSeconds);
    const started = performance.now();
    const results = await pool.run({ type: 'run', ratePerRoom: shape.ratePerRoom, durationMs, idleMs: options.drainIdleMs }, durationMs + options.drainIdleMs * 3 + 60_000);
    const windowS = (performance.now() - started) / 1000;
    const serverCpuS = serverPids.map((pid, i) => cpuSeconds(pid) - (serverBefore[i] ?? Number.NaN));
    const busCpuS = bus.reduce((n, pid, i) => n + (cpuSeconds(pid) - (busBefore[i] ?? Number.NaN)), 0);
    const merged = mergeResults(results);
    return {
      system: spec.name,
      shape: shape.tag,
      round,
      connections: loop ? 0 : connect.connections,
      connectFailed: connect.failed,
      connectMs: connect.ms,
      ...merged,
      lost: merged.expected - merged.delivered,
      windowS,
      serverCpuS,
      busCpuS,
      loadCpuS: loop ? Number.NaN : merged.loadCpuS,
    };
  } finally {
    await pool.close();
    // Thousands of disconnects keep the servers busy for a while: let that end before another
    // system's window starts, or it lands on that system's latency.
    await settle(live.running?.servers.map((s) => s.pid) ?? []);
  }
}

function line(m: TimedMeasurement, label: string): string {
  const cpu = m.serverCpuS.map((s) => s.toFixed(2)).join('+');
  const loss = m.lost === 0 && m.duplicates === 0 && m.reordered === 0 ? 'complete' : `lost ${m.lost}, dup ${m.duplicates}, reordered ${m.reordered}`;
  return `  ${m.system} ${m.shape} ${label}: ${m.delivered}/${m.expected} delivered (${loss}), p50/p99/max ${m.latency.p50.toFixed(1)}/${m.latency.p99.toFixed(1)}/${m.latency.max.toFixed(1)} ms, CPU s server ${cpu} bus ${m.busCpuS.toFixed(2)} load ${m.loadCpuS.toFixed(2)}, connect ${(m.connectMs / 1000).toFixed(1)} s${m.publishErrors > 0 ? `, publish errors ${m.publishErrors} (${m.firstPublishError ?? ''})` : ''}`;
}

export async function runTimed(workload: string, systems: readonly SystemName[], shapes: readonly RoomShape[], rounds: number, options: BenchOptions, warmupMs: number): Promise<TimedOutcome> {
  const skipped: { system: SystemName; reason: string }[] = [];
  const live: Live[] = [];
  const measurements: TimedMeasurement[] = [];
  try {
    for (const name of systems) {
      const spec = SYSTEMS[name];
      const reason = await spec.precheck(options);
      if (reason !== undefined) {
        say(`- ${name}: skipped: ${reason}`);
        skipped.push({ system: name, reason });
        continue;
      }
      try {
        const running = spec.client === 'loop' ? undefined : await startSystem(spec, options);
        live.push(running === undefined ? { spec } : { spec, running });
        say(`- ${name}: ${spec.label}${running === undefined ? '' : `; ${running.servers.map((s) => `${s.name} pid ${s.pid}`).join(', ')}`}`);
      } catch (error) {
        say(`- ${name}: failed to start: ${describe(error)}`);
        skipped.push({ system: name, reason: `failed to start: ${describe(error)}` });
      }
    }
    const plays: { shape: RoomShape; round: number }[] = [];
    if (warmupMs > 0 && shapes[0] !== undefined) plays.push({ shape: shapes[0], round: 0 });
    for (const shape of shapes) for (let round = 1; round <= rounds; round++) plays.push({ shape, round });
    for (const [index, play] of plays.entries()) {
      for (let k = 0; k < live.length; k++) {
        const system = live[(k + index) % live.length] as Live;
        const label = play.round === 0 ? 'warm-up' : `round ${play.round}`;
        try {
          const m = await measure(workload, system, play.shape, play.round, options, play.round === 0 ? warmupMs : play.shape.durationMs);
          say(line(m, label));
          if (play.round > 0) measurements.push(m);
        } catch (error) {
          system.failure = describe(error);
          say(`  ${system.spec.name} ${play.shape.tag} ${label} failed: ${system.failure}`);
        }
        await sleep(300);
      }
    }
  } finally {
    await Promise.all(live.map((l) => l.running?.stop()));
  }
  const summaries: TimedSummary[] = [];
  for (const shape of shapes) {
    for (const l of live) {
      const rs = measurements.filter((m) => m.system === l.spec.name && m.shape === shape.tag);
      if (rs.length > 0) summaries.push(summarizeRounds(workload, l.spec.name, shape.tag, rs));
      else skipped.push({ system: l.spec.name, reason: `${shape.tag}: no round completed (${l.failure ?? 'unknown'})` });
    }
  }
  return { workload, measurements, summaries, skipped };
}
