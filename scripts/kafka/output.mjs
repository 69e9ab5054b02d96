// Console helpers: concise progress lines and fatal errors.
import { existsSync, readFileSync } from 'node:fs';

export class KafkaScriptError extends Error {}

// Output piped into e.g. `head` may close early; that must not crash `up` halfway.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

export function log(message) {
  process.stdout.write(`[kafka] ${message}\n`);
}

export function warn(message) {
  process.stderr.write(`[kafka] WARNING: ${message}\n`);
}

/** Throws a KafkaScriptError; the CLI prints it and exits non-zero. */
export function fail(message) {
  throw new KafkaScriptError(message);
}

/** Last `lines` lines of a log file, only from the latest "===== ... starting node" run header on. */
export function tail(file, lines = 20) {
  if (!existsSync(file)) return `    (no log file at ${file})`;
  let text = readFileSync(file, 'utf8');
  const run = text.lastIndexOf('\n===== ');
  if (run >= 0) text = text.slice(run + 1);
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => `    ${l.length > 300 ? `${l.slice(0, 300)}...` : l}`)
    .join('\n');
}
