import type { LoadResult } from '../load/load-protocol.js';
import type { SystemName } from '../options.js';
import { median, summarize, type LatencySummary } from '../stats.js';

/** One room shape: R rooms × P players, each room's first player publishing at a fixed rate. */
export interface RoomShape {
  /** Short name used in channel names and tables: `500x4@10`. */
  readonly tag: string;
  readonly rooms: number;
  readonly players: number;
  readonly ratePerRoom: number;
  readonly durationMs: number;
}

/** One system, one shape, one round. CPU figures are seconds over the measured window. */
export interface TimedMeasurement {
  readonly system: SystemName;
  readonly shape: string;
  readonly round: number;
  readonly connections: number;
  readonly connectFailed: number;
  readonly connectMs: number;
  readonly sent: number;
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly publishErrors: number;
  readonly firstPublishError?: string;
  readonly latency: LatencySummary;
  readonly windowS: number;
  /** Per server process (A, B); for kafka-loop its one process. */
  readonly serverCpuS: readonly number[];
  readonly busCpuS: number;
  /** The load-generator workers' own CPU (NaN for kafka-loop, which is its own load). */
  readonly loadCpuS: number;
  readonly maxSendLagMs: number;
}

/** Median over rounds per metric (max: the largest); losses are totals. CPU in ms per 1,000 deliveries. */
export interface TimedSummary {
  readonly workload: string;
  readonly system: SystemName;
  readonly shape: string;
  readonly rounds: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly publishErrors: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly serverMsPer1k: number;
  readonly perServerMsPer1k: readonly number[];
  readonly busMsPer1k: number;
  readonly loadMsPer1k: number;
  readonly maxSendLagMs: number;
}

export function mergeResults(parts: readonly LoadResult[]): {
  sent: number; expected: number; delivered: number; duplicates: number; reordered: number;
  publishErrors: number; firstPublishError?: string; latency: LatencySummary; loadCpuS: number; maxSendLagMs: number;
} {
  const sum = (pick: (r: LoadResult) => number): number => parts.reduce((n, r) => n + pick(r), 0);
  const samples = new Float64Array(sum((r) => r.latencies.length));
  let offset = 0;
  for (const r of parts) {
    samples.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  const firstPublishError = parts.find((r) => r.firstPublishError !== undefined)?.firstPublishError;
  return {
    sent: sum((r) => r.sent),
    expected: sum((r) => r.expected),
    delivered: sum((r) => r.delivered),
    duplicates: sum((r) => r.duplicates),
    reordered: sum((r) => r.reordered),
    publishErrors: sum((r) => r.publishErrors),
    ...(firstPublishError === undefined ? {} : { firstPublishError }),
    latency: summarize(samples),
    loadCpuS: sum((r) => r.cpuUs) / 1e6,
    maxSendLagMs: Math.max(0, ...parts.map((r) => r.maxSendLagMs)),
  };
}

const per1k = (cpuS: number, delivered: number): number => (delivered > 0 ? (cpuS * 1e6) / delivered : Number.NaN);

export function summarizeRounds(workload: string, system: SystemName, shape: string, rounds: readonly TimedMeasurement[]): TimedSummary {
  const total = (pick: (m: TimedMeasurement) => number): number => rounds.reduce((n, m) => n + pick(m), 0);
  const med = (pick: (m: TimedMeasurement) => number): number => median(rounds.map(pick));
  const servers = Math.max(0, ...rounds.map((m) => m.serverCpuS.length));
  return {
    workload,
    system,
    shape,
    rounds: rounds.length,
    delivered: total((m) => m.delivered),
    lost: total((m) => m.lost),
    duplicates: total((m) => m.duplicates),
    reordered: total((m) => m.reordered),
    publishErrors: total((m) => m.publishErrors),
    p50: med((m) => m.latency.p50),
    p99: med((m) => m.latency.p99),
    max: Math.max(...rounds.map((m) => m.latency.max)),
    serverMsPer1k: med((m) => per1k(m.serverCpuS.reduce((a, b) => a + b, 0), m.delivered)),
    perServerMsPer1k: Array.from({ length: servers }, (_, i) => med((m) => per1k(m.serverCpuS[i] ?? Number.NaN, m.delivered))),
    busMsPer1k: med((m) => per1k(m.busCpuS, m.delivered)),
    loadMsPer1k: med((m) => per1k(m.loadCpuS, m.delivered)),
    maxSendLagMs: Math.max(...rounds.map((m) => m.maxSendLagMs)),
  };
}

const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');

/** Markdown table of a timed workload, one row per system and shape. */
export function timedTable(summaries: readonly TimedSummary[], skipped: readonly { system: string; reason: string }[]): string {
  const lines = [
    '| system | shape | delivered | lost | dup | reordered | pub err | p50 ms | p99 ms | max ms | server CPU ms/1k (A+B) | per process | bus CPU ms/1k | load gen ms/1k | send lag ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.system} | ${s.shape} | ${s.delivered} | ${s.lost} | ${s.duplicates} | ${s.reordered} | ${s.publishErrors} | ${f1(s.p50)} | ${f1(s.p99)} | ${f1(s.max)} | ${f2(s.serverMsPer1k)} | ${s.perServerMsPer1k.map(f2).join(' / ')} | ${f2(s.busMsPer1k)} | ${f2(s.loadMsPer1k)} | ${f1(s.maxSendLagMs)} |`,
    );
  }
  for (const s of skipped) lines.push(`| ${s.system} | ${s.reason.split('\n')[0] ?? ''} | | | | | | | | | | | | | |`);
  return lines.join('\n');
}
