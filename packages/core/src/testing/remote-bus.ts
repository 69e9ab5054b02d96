import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BusError, type BusErrorReason } from '../errors.js';
import type { Message, MessageHandler, PublishReceipt, ReplayStart } from '../message-bus.js';
import type { RemoteReply, RemoteRequest } from './remote-protocol.js';
import type { JsonValue, RemoteBusFactory } from './target.js';

/** A subscription held by the bus in the other process. */
export interface RemoteSubscription {
  readonly replay: ReplayStart;
  readonly startPosition?: string;
}

type Pending = { resolve: (value: JsonValue) => void; reject: (error: Error) => void };
type RequestBody = RemoteRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

// From sources (vitest) the runner is a .ts file next to this one; from a build, a .js file.
const RUNNER = fileURLToPath(new URL(`./remote-runner${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

function childExecArgv(factory: RemoteBusFactory): string[] {
  if (factory.execArgv !== undefined) return [...factory.execArgv];
  const inherited = [...process.execArgv];
  if (RUNNER.endsWith('.ts') && !inherited.some((flag) => flag.includes('tsx'))) inherited.push('--import', 'tsx');
  return inherited;
}

/**
 * A bus in a child process, built by a {@link RemoteBusFactory}: the parent's handle on it.
 * Every call fails with a message naming the other process when the child fails or dies.
 */
export class RemoteBus {
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<number, MessageHandler>();
  // Deliveries that arrived before their subscription's answer (a replay starts before subscribe resolves there).
  private readonly early = new Map<number, Message[]>();
  private output = '';
  private exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly timeoutMs: number) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (reply: RemoteReply) => this.receive(reply));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const error = new Error(`the bus process exited (code ${code}, signal ${signal}); its output: ${this.output.trim() || '(none)'}`);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
        resolve();
      });
    });
  }

  /** Forks the child and builds its bus; rejects with the child's error or output when that fails. */
  static async start(factory: RemoteBusFactory, timeoutMs: number): Promise<RemoteBus> {
    const child = fork(RUNNER, [], {
      execArgv: childExecArgv(factory),
      env: { ...process.env, ...factory.env },
      cwd: factory.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const remote = new RemoteBus(child, timeoutMs);
    try {
      // Loading TypeScript through a loader and connecting can take a while on a busy machine.
      await remote.request({ op: 'start', module: factory.module, export: factory.export, args: factory.args ?? null }, Math.max(timeoutMs, 30_000) * 2);
    } catch (error) {
      await remote.close();
      throw new Error(`could not start the bus in another process from ${factory.module} (export "${factory.export}"): ${(error as Error).message}`);
    }
    return remote;
  }

  /** Publishes from the other process. A BusError there is a BusError here, with its reason. */
  async publish(channel: string, data: JsonValue): Promise<PublishReceipt> {
    return (await this.request({ op: 'publish', channel, data })) as unknown as PublishReceipt;
  }

  /** Subscribes in the other process; its deliveries call `handler` here, in the order they happened there. */
  async subscribe<T>(channel: string, handler: MessageHandler<T>, from?: string): Promise<RemoteSubscription> {
    return this.subscribeWith(channel, handler, from === undefined ? {} : { from });
  }

  private async subscribeWith<T>(channel: string, handler: MessageHandler<T>, how: { readonly from?: string; readonly group?: string }): Promise<RemoteSubscription> {
    const answer = (await this.request({ op: 'subscribe', channel, ...how })) as {
      subscription: number;
      replay: ReplayStart;
      startPosition?: string;
    };
    this.handlers.set(answer.subscription, handler as MessageHandler);
    for (const message of this.early.get(answer.subscription) ?? []) void handler(message as Message<T>);
    this.early.delete(answer.subscription);
    return { replay: answer.replay, ...(answer.startPosition === undefined ? {} : { startPosition: answer.startPosition }) };
  }

  /** Joins `group` on `channel` in the other process (group mode); its deliveries call `handler` here. */
  async subscribeGroup<T>(channel: string, group: string, handler: MessageHandler<T>): Promise<RemoteSubscription> {
    return this.subscribeWith(channel, handler, { group });
  }

  /** Closes the bus there and waits for the process to end (killing it after a bounded wait). */
  async close(): Promise<void> {
    if (this.child.connected) await this.request({ op: 'close' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    if (this.child.exitCode === null && this.child.signalCode === null) await this.exited;
    clearTimeout(timer);
  }

  private request(body: RequestBody, timeoutMs = this.timeoutMs): Promise<JsonValue> {
    this.next += 1;
    const id = this.next;
    return new Promise<JsonValue>((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error(`the bus process is gone; its output: ${this.output.trim() || '(none)'}`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the bus process did not answer "${body.op}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <V>(finish: (value: V) => void) => (value: V): void => {
        clearTimeout(timer);
        finish(value);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.child.send({ ...body, id } as RemoteRequest);
    });
  }

  private receive(reply: RemoteReply): void {
    if (reply.kind === 'message') {
      const message: Message = reply.message;
      const handler = this.handlers.get(reply.subscription);
      if (handler !== undefined) void handler(message);
      else this.early.set(reply.subscription, [...(this.early.get(reply.subscription) ?? []), message]);
      return;
    }
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else if (reply.error.reason !== undefined) {
      const options = reply.error.retryable === undefined ? {} : { retryable: reply.error.retryable };
      waiter.reject(new BusError(reply.error.reason as BusErrorReason, `in the other process: ${reply.error.message}`, options));
    } else waiter.reject(new Error(`in the other process: ${reply.error.message}`));
  }
}
