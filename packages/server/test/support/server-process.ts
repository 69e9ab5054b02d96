import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

/** A server started as its own process, exactly as `pnpm start` runs it. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the server's base URL once it logged that it listens; rejects if it exits first. */
  listening(timeoutMs?: number): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Sends `signal` (SIGKILL: no shutdown at all) and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every server process still running: call it in `afterEach`/`afterAll`. */
export function killServerProcesses(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

/** Starts `main.ts` with only `env` (plus PATH, HOST and LOG_LEVEL) and `args` (e.g. `--help`). */
export function spawnServer(env: Record<string, string>, args: readonly string[] = []): ServerProcess {
  const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const stdout = (): string => out;

  async function listening(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = stdout()
        .split('\n')
        .map((text) => (text.startsWith('{') ? (JSON.parse(text) as { msg?: string; url?: string }) : {}))
        .find((entry) => entry.msg === 'server listening');
      if (line?.url !== undefined) return line.url;
      if (Date.now() > deadline) throw new Error(`server did not log "server listening" within ${timeoutMs} ms:\n${out}\n${err}`);
      const exited = await Promise.race([exit.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
      if (exited) throw new Error(`server exited before listening:\n${out}\n${err}`);
    }
  }

  return {
    child,
    exit,
    stdout,
    stderr: () => err,
    listening,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exit;
    },
  };
}
