import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A server process started by the benchmark, ready to take connections at `url` (http://...). */
export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const STOP_GRACE_MS = 3000;
const TAIL_LINES = 20;

/** Registers a child started elsewhere (load workers) so that `killAllNow` covers it too. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Every child still running; killed by `killAllNow` at exit. */
export function runningChildren(): number {
  return children.size;
}

/** Synchronous last resort (process 'exit' handler, second Ctrl-C): SIGKILL whatever is left. */
export function killAllNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Finds the JSON log line `{"msg":"server listening","url":...}` that both our server and the peer print. */
function listeningUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const record = parsed as Record<string, unknown>;
    return record['msg'] === 'server listening' && typeof record['url'] === 'string' ? record['url'] : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `node <args>` and resolves once it logs "server listening", or rejects (and kills it) on exit or timeout. */
export function startServer(name: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const tail: string[] = [];
  const remember = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopChild(child);
      reject(new Error(`${name}: ${why}${tail.length > 0 ? `\n  ${tail.join('\n  ')}` : ''}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited early (code ${code ?? 'none'}, signal ${signal ?? 'none'})`));
    createInterface({ input: child.stderr }).on('line', (line) => {
      remember(line);
      process.stdout.write(`    [${name} stderr] ${line.slice(0, 400)}\n`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const url = listeningUrl(line);
      if (url === undefined) {
        // Ordinary info lines are dropped; warnings and errors are kept and shown as they come.
        if (line.includes('"level":30')) return;
        remember(line);
        process.stdout.write(`    [${name}] ${line.slice(0, 400)}\n`);
        return;
      }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ name, url, pid: child.pid ?? -1, stop: () => stopChild(child) });
    });
  });
}

/** Polls `GET <url>/readyz` until it answers 200; bounded by `timeoutMs`. */
export async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/readyz not ready after ${timeoutMs} ms (${last})`);
}
