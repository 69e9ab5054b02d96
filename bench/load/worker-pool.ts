import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { trackChild } from '../child-processes.js';
import type { ConnectCommand, FromWorker, LoadResult, RunCommand, ToWorker } from './load-protocol.js';

/** The room load generator; kafka-loop speaks the same protocol. */
export const ROOM_WORKER = join(import.meta.dirname, 'room-worker.ts');

/** One forked worker and a queue of the messages it sent that nobody has awaited yet. */
class Worker {
  private readonly inbox: FromWorker[] = [];
  private waiter: ((message: FromWorker | Error) => void) | undefined;
  private exitError: Error | undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => this.push(message));
    child.once('exit', (code, signal) => {
      this.exitError = new Error(`load worker ${child.pid ?? '?'} exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`);
      this.waiter?.(this.exitError);
    });
  }

  private push(message: FromWorker): void {
    if (this.waiter === undefined) this.inbox.push(message);
    else this.waiter(message);
  }

  send(command: ToWorker): void {
    this.child.send(command);
  }

  /** The next message of `type`; rejects on a 'failed' message, on exit, or after `timeoutMs`. */
  next<T extends FromWorker['type']>(type: T, timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`load worker: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      const finish = (message: FromWorker | Error): void => {
        this.waiter = undefined;
        clearTimeout(timer);
        if (message instanceof Error) reject(message);
        else if (message.type === 'failed') reject(new Error(`load worker: ${message.error}`));
        else if (message.type === type) resolve(message as Extract<FromWorker, { type: T }>);
        else reject(new Error(`load worker: expected '${type}', got '${message.type}'`));
      };
      const queued = this.inbox.shift();
      if (queued !== undefined) finish(queued);
      else if (this.exitError !== undefined) finish(this.exitError);
      else this.waiter = finish;
    });
  }
}

export interface ConnectSummary {
  readonly connections: number;
  readonly failed: number;
  readonly firstError?: string;
  /** From sending the commands to the last worker's answer. */
  readonly ms: number;
}

/** The load generator: `count` forked processes (one process cannot hold 20,000 sockets here). */
export class WorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  static async start(count: number, script: string = ROOM_WORKER, env: NodeJS.ProcessEnv = process.env, timeoutMs = 30_000): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, () => {
      const child = fork(script, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      trackChild(child);
      return new Worker(child);
    });
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((w) => w.next('started', timeoutMs)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? -1);
  }

  /** One command per worker (`commands[i]` to worker i). */
  async connect(commands: readonly ConnectCommand[], timeoutMs: number): Promise<ConnectSummary> {
    const started = performance.now();
    this.workers.forEach((w, i) => w.send(commands[i] as ConnectCommand));
    const answers = await Promise.all(this.workers.map((w) => w.next('connected', timeoutMs)));
    const firstError = answers.find((a) => a.firstError !== undefined)?.firstError;
    return {
      connections: answers.reduce((n, a) => n + a.connections, 0),
      failed: answers.reduce((n, a) => n + a.failed, 0),
      ...(firstError === undefined ? {} : { firstError }),
      ms: performance.now() - started,
    };
  }

  async run(command: RunCommand, timeoutMs: number): Promise<LoadResult[]> {
    for (const w of this.workers) w.send(command);
    const answers = await Promise.all(this.workers.map((w) => w.next('result', timeoutMs)));
    return answers.map((a) => a.result);
  }

  /** Asks every worker to close its sockets and exit; kills the ones that do not within 5 s. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const child = w.child;
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) w.send({ type: 'close' });
            else child.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** Splits `items` into `parts` contiguous, nearly equal slices. */
export function split<T>(items: readonly T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size));
}
