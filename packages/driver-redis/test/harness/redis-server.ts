import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A `redis-server` process started by the tests. */
export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  /** Its working directory (the append-only file lives here). */
  readonly dir: string;
  /** Stops the process (SIGTERM, then SIGKILL) and keeps the directory. */
  stop(): Promise<void>;
  /** Sends `signal` (SIGKILL: no shutdown, no last AOF write) and resolves once the process is gone; keeps the directory. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Stops the process and deletes the directory, unless it was given by the caller. */
  dispose(): Promise<void>;
}

export interface LocalRedisOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** Default: a new temporary directory, deleted by `dispose`. */
  readonly dir?: string;
  /** Turn on the append-only file, so data survives a restart. Default: false. */
  readonly appendOnly?: boolean;
  /**
   * `appendfsync` with `appendOnly`: `always` fsyncs before every reply, so a SIGKILL loses no
   * acknowledged write; Redis's default `everysec` may lose the last second on a kill.
   */
  readonly appendFsync?: 'always' | 'everysec' | 'no';
  /** Longest wait for the server to answer PING, in ms. Default: 10000. */
  readonly startTimeoutMs?: number;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when something at `host:port` answers PING with PONG within `timeoutMs`. */
export async function pingRedis(host: string, port: number, timeoutMs: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) finish(true);
      else if (reply.includes('-')) finish(false);
    });
    socket.on('error', () => finish(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, awaited: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${awaited}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts `redis-server` from the PATH on 127.0.0.1 (not daemonized, so it dies with its handle).
 * Rejects with a clear message when the binary is missing or the server does not come up.
 */
export async function startRedisServer(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'redis-bus-test-')));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', options.appendOnly === true ? 'yes' : 'no', '--dir', dir, '--daemonize', 'no'];
  if (options.appendFsync !== undefined) args.push('--appendfsync', options.appendFsync);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const up = waitUntil(() => pingRedis('127.0.0.1', port, 500), timeoutMs, `redis-server on port ${port}`).then(() => undefined);
  const outcome = await Promise.race([up, spawnError]);
  if (outcome instanceof Error) {
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw new Error(`could not run redis-server (${outcome.message}); is it installed and on the PATH?`);
  }
  if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${stderr}`);
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    if (!(await exited(child, 10_000))) {
      child.kill('SIGKILL');
      await exited(child, 5000);
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child, 10_000);
    },
    dispose: async () => {
      await stop();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
