import { randomBytes } from 'node:crypto';
import type { Message, MessageBus } from '../message-bus.js';
import { RemoteBus } from './remote-bus.js';
import type { ConformanceInstance, ConformanceTarget } from './target.js';

/** Collects delivered messages and lets a test wait for a count of them. */
export class Inbox<T = unknown> {
  readonly messages: Message<T>[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  /** Pass this as the handler. */
  readonly handler = (message: Message<T>): void => {
    this.messages.push(message);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.messages.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  get data(): T[] {
    return this.messages.map((message) => message.data);
  }

  /** Resolves once `count` messages arrived; rejects after `timeoutMs` saying how many did. */
  async waitFor(count: number, timeoutMs: number, what = 'messages'): Promise<Message<T>[]> {
    if (this.messages.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} ${what}; got ${this.messages.length}`));
        }, timeoutMs);
        this.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.messages.slice(0, count);
  }
}

/** `[0, 1, ..., count - 1]`. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/** Waits `ms`; used only to give a bus the chance to deliver something it must not. */
export function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Per-test context: makes buses through the target and closes them all at the end. */
export class TestContext {
  private readonly instances: ConformanceInstance[] = [];
  private readonly remotes: RemoteBus[] = [];
  private readonly prefix: string;
  private counter = 0;

  constructor(
    /** The target under test; cases read its hooks (`restartBackend`, `truncateHistory`, ...) from it. */
    readonly target: ConformanceTarget,
    readonly timeoutMs: number,
    readonly orderingMessages: number,
  ) {
    this.prefix = `${target.namespace ?? 'conformance'}:${randomBytes(4).toString('hex')}`;
  }

  /** A channel name no other test uses. */
  channel(label = 'ch'): string {
    this.counter += 1;
    return `${this.prefix}:${label}-${this.counter}`;
  }

  /** A group name no other test uses. */
  group(label = 'g'): string {
    return `${label}-${randomBytes(4).toString('hex')}`;
  }

  /** A bus from the target's `setup`, once its status is `ready` (drivers may connect in the background). */
  async bus(): Promise<MessageBus> {
    const instance = await this.target.setup();
    this.instances.push(instance);
    const deadline = Date.now() + this.timeoutMs;
    while (instance.bus.status() !== 'ready') {
      if (Date.now() > deadline) {
        throw new Error(`the bus from setup() was not ready within ${this.timeoutMs} ms (status "${instance.bus.status()}")`);
      }
      await settle(20);
    }
    return instance.bus;
  }

  /**
   * A bus in a child process, from the target's `remote` factory, ready. Throws, failing the
   * case, when the target gives none: a bus that declares `crossInstance` must prove it.
   */
  async remoteBus(): Promise<RemoteBus> {
    const remote = this.target.remote;
    if (remote === undefined) {
      throw new Error(
        `target "${this.target.name}" declares crossInstance but gives no \`remote\` factory: the suite proves crossInstance with a bus in a second process, so name the module and export that make one`,
      );
    }
    const factory = typeof remote === 'function' ? await remote() : remote;
    const bus = await RemoteBus.start(factory, this.timeoutMs);
    this.remotes.push(bus);
    return bus;
  }

  async dispose(): Promise<void> {
    const instances = this.instances.splice(0);
    await Promise.allSettled([...instances.map((instance) => instance.bus.close()), ...this.remotes.splice(0).map((remote) => remote.close())]);
    for (const instance of instances) await instance.cleanup?.();
  }
}
