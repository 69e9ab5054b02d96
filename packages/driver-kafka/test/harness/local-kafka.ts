import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portOpen } from './port-open.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const SCRIPT = resolve(REPO_ROOT, 'scripts/kafka/kafka.mjs');
export const LOCAL_BROKERS = '127.0.0.1:9092';
export const LOCAL_SASL_BROKERS = '127.0.0.1:9192';

/** A local broker from scripts/kafka, and whether this run started it (then it stops it too). */
export interface LocalKafka {
  readonly startedHere: boolean;
  stop(): void;
}

function run(args: string[], timeoutMs: number): { ok: boolean; output: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim() };
}

/**
 * Uses the broker on 127.0.0.1:9092 when one answers (another tester may share it), else runs
 * `node scripts/kafka/kafka.mjs up`. Throws with the script's output when that fails.
 */
export async function useLocalKafka(): Promise<LocalKafka> {
  if (await portOpen(LOCAL_BROKERS)) return { startedHere: false, stop() {} };
  const up = run(['up', '--timeout', '180'], 240_000);
  if (!up.ok) throw new Error(`"node scripts/kafka/kafka.mjs up" failed:\n${up.output}`);
  return {
    startedHere: true,
    stop() {
      const down = run(['down'], 60_000);
      if (!down.ok) throw new Error(`"node scripts/kafka/kafka.mjs down" failed:\n${down.output}`);
    },
  };
}
