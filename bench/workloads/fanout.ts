// Workload `fanout` (the original one): S subscribers on one channel, one publisher sending N
// messages as fast as a window of W unacknowledged publishes allows; interleaved rounds.
import type { BenchConnection } from '../clients/bench-connection.js';
import { systemsFor, type BenchOptions, type SystemName } from '../options.js';
import { startSystem, type RunningSystem } from '../system-servers.js';
import { connectClient, SYSTEMS, type SystemSpec } from '../systems.js';
import { medianOf, roundLine, summaryText, type SystemReport } from './fanout-report.js';
import { runRound, type RoundClients, type RoundResult } from './fanout-round.js';

export const FANOUT_SYSTEMS: readonly SystemName[] = ['sio-redis', 'ours-redis', 'sio-streams', 'ws-redis', 'ours-kafka'];
const CONNECT_BATCH = 10;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export interface FanoutOutcome {
  readonly reports: SystemReport[];
  readonly table: string;
}

/** One system with its servers up and its clients connected, collecting round results. */
interface Prepared {
  readonly name: SystemName;
  readonly spec: SystemSpec;
  running?: RunningSystem;
  readonly opened: BenchConnection[];
  clients?: RoundClients;
  warmup?: RoundResult;
  readonly rounds: RoundResult[];
  failure?: string;
}

async function connectAll(p: Prepared, options: BenchOptions, [a, b]: readonly [string, string]): Promise<RoundClients> {
  const track = async (url: string): Promise<BenchConnection> => {
    const connection = await connectClient(p.spec, url, options);
    p.opened.push(connection);
    return connection;
  };
  const publisher = await track(a);
  const local: BenchConnection[] = [];
  const remote: BenchConnection[] = [];
  for (let start = 0; start < options.subscribers; start += CONNECT_BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(options.subscribers, start + CONNECT_BATCH); i++) {
      const onA = i % 2 === 0;
      batch.push(track(onA ? a : b).then((c) => void (onA ? local : remote).push(c)));
    }
    await Promise.all(batch);
  }
  return { publisher, local, remote };
}

async function prepare(name: SystemName, options: BenchOptions): Promise<Prepared> {
  const prepared: Prepared = { name, spec: SYSTEMS[name], opened: [], rounds: [] };
  try {
    prepared.running = await startSystem(prepared.spec, options);
    const [a, b] = prepared.running.urls;
    say(`- ${name}: ${prepared.spec.label}; A ${a}, B ${b}`);
    prepared.clients = await connectAll(prepared, options, prepared.running.urls);
  } catch (error) {
    prepared.failure = message(error);
    say(`- ${name}: failed to start: ${prepared.failure}`);
  }
  return prepared;
}

async function teardown(p: Prepared): Promise<void> {
  for (const connection of p.opened) connection.close();
  await p.running?.stop();
}

/** Round `round` (0 = warm-up) of one system; a failure takes the system out of the later rounds. */
async function playRound(p: Prepared, round: number, options: BenchOptions): Promise<void> {
  if (p.failure !== undefined || p.clients === undefined) return;
  const label = round === 0 ? 'warm-up' : `round ${round}`;
  const channel = `bench:${options.runId}-${p.name}-${round === 0 ? 'w' : `r${round}`}`;
  try {
    const result = await runRound(p.clients, channel, options);
    say(roundLine(p.name, label, result));
    if (round === 0) p.warmup = result;
    else p.rounds.push(result);
  } catch (error) {
    p.failure = `${label}: ${message(error)}`;
    say(`  ${p.name} ${label} failed: ${p.failure}`);
  }
  await new Promise((r) => setTimeout(r, 500));
}

function toReport(p: Prepared): SystemReport {
  const base = { name: p.name, label: p.spec.label, rounds: p.rounds, ...(p.warmup ? { warmup: p.warmup } : {}) };
  const measured = p.rounds.length > 0 ? { median: medianOf(p.rounds) } : {};
  if (p.failure !== undefined) return { ...base, status: 'failed', reason: p.failure, ...measured };
  return { ...base, status: 'ran', ...measured };
}

/**
 * Starts every runnable system, then plays the rounds interleaved (warm-ups first, then round k of
 * each system, the order rotating every round) so that load from elsewhere on the machine spreads
 * over all systems instead of hitting whichever happened to run at that moment.
 */
export async function runFanout(options: BenchOptions): Promise<FanoutOutcome> {
  const systems = systemsFor(options, FANOUT_SYSTEMS);
  say(`S=${options.subscribers} N=${options.messages} W=${options.window} rounds=${options.rounds} (+1 warm-up)`);
  const skipped: SystemReport[] = [];
  const prepared: Prepared[] = [];
  try {
    for (const name of systems) {
      const reason = await SYSTEMS[name].precheck(options);
      if (reason === undefined) {
        prepared.push(await prepare(name, options));
        continue;
      }
      say(`- ${name}: skipped: ${reason}`);
      skipped.push({ name, label: SYSTEMS[name].label, status: 'skipped', reason, rounds: [] });
    }
    for (let round = 0; round <= options.rounds; round++) {
      for (let k = 0; k < prepared.length; k++) {
        await playRound(prepared[(k + round) % prepared.length] as Prepared, round, options);
      }
    }
  } finally {
    await Promise.all(prepared.map(teardown));
  }
  const all = [...prepared.map(toReport), ...skipped];
  const reports = systems.map((name) => all.find((r) => r.name === name)).filter((r) => r !== undefined);
  return { reports, table: summaryText(reports, options) };
}
