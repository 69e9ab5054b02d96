import {
  BusError,
  delay,
  type BusLogger,
  type Message,
} from '@app/core';
import type { BroadcastSubscription, ReaderHooks } from './broadcast-subscription.js';
import type { Connections } from './connections.js';
import { decodeEntry } from './entry-codec.js';
import type { ResolvedRedisBusOptions } from './options.js';
import { parseStreams, type StreamEntry } from './replies.js';
import { compareIds, minId } from './stream-id.js';

/** A group member: told when its channel has entries past what the reader saw before. */
export interface GroupWatcher {
  signal(): void;
}

interface ChannelState {
  readonly key: string;
  readonly channel: string;
  readonly broadcast: Set<BroadcastSubscription>;
  readonly watchers: Set<GroupWatcher>;
  /** Last entry id that group watchers were told about. */
  watchCursor: string;
}

interface ReadRequest {
  readonly generation: number;
  readonly keys: string[];
  /** Read position per key: entries after it come back. */
  readonly from: Map<string, string>;
}

/** Extra time a blocking read may take beyond its BLOCK argument before the connection is deemed dead. */
const WATCHDOG_GRACE_MS = 10_000;
/** How often a missed interrupt (`CLIENT UNBLOCK` racing the read) is tried again. */
const UNBLOCK_RETRY_MS = 5;
const UNBLOCK_TRIES = 100;

/**
 * The one blocking reader of a bus instance. Every `XREAD BLOCK` names the streams of all
 * channels this instance has subscribers for (and no other), each at an explicit id: the
 * smallest last id of its broadcast subscribers, or the group watch cursor. A change of the
 * set (subscribe, unsubscribe, a paused subscriber resuming) interrupts the read in flight with
 * `CLIENT UNBLOCK` from the command connection, so it takes effect at once.
 */
export class StreamReader implements ReaderHooks {
  private readonly channels = new Map<string, ChannelState>();
  private generation = 0;
  private inFlight: ReadRequest | undefined;
  private unblocking = false;
  private idleWake: (() => void) | undefined;
  private readerId: number | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly connections: Connections,
    private readonly options: ResolvedRedisBusOptions,
    private readonly logger: BusLogger,
  ) {
    // A new connection has a new client id; fetch it again before the next read.
    connections.reader.on('close', () => {
      this.readerId = undefined;
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop; a read in flight is cut off by dropping the reader connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.idleWake?.();
    this.connections.retireReader();
    await this.loop;
  }

  addBroadcast(subscription: BroadcastSubscription): void {
    this.stateFor(subscription.key, subscription.channel).broadcast.add(subscription);
    this.wake();
  }

  remove(subscription: BroadcastSubscription): void {
    const state = this.channels.get(subscription.key);
    state?.broadcast.delete(subscription);
    this.dropIfUnused(state);
  }

  /** Watches a channel for a group member, starting after `afterId`. */
  addWatcher(key: string, channel: string, watcher: GroupWatcher, afterId: string): void {
    const state = this.stateFor(key, channel);
    state.watchCursor = state.watchers.size === 0 ? afterId : minId(state.watchCursor, afterId);
    state.watchers.add(watcher);
    this.wake();
  }

  removeWatcher(key: string, watcher: GroupWatcher): void {
    const state = this.channels.get(key);
    state?.watchers.delete(watcher);
    this.dropIfUnused(state);
  }

  /** Makes the next read reflect the current subscriptions, interrupting one in flight. */
  wake(): void {
    this.generation += 1;
    const idle = this.idleWake;
    if (idle !== undefined) {
      this.idleWake = undefined;
      idle();
      return;
    }
    if (this.inFlight !== undefined) void this.unblock();
  }

  private stateFor(key: string, channel: string): ChannelState {
    let state = this.channels.get(key);
    if (state === undefined) {
      state = { key, channel, broadcast: new Set(), watchers: new Set(), watchCursor: '0-0' };
      this.channels.set(key, state);
    }
    return state;
  }

  private dropIfUnused(state: ChannelState | undefined): void {
    if (state !== undefined && state.broadcast.size === 0 && state.watchers.size === 0) this.channels.delete(state.key);
  }

  private async run(): Promise<void> {
    const reader = this.connections.reader;
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.connections.waitReady(reader, this.options.blockMs + WATCHDOG_GRACE_MS, 'the reader connection to Redis', this.stopping.signal);
        this.readerId ??= await this.clientId();
        const request = this.buildRequest();
        if (request.keys.length === 0) {
          await this.idle();
          continue;
        }
        const reply = await this.read(request);
        failures = 0;
        this.dispatch(request, parseStreams(reply, 'XREAD'));
      } catch (error) {
        if (this.stopped) break;
        failures += 1;
        // The first failure of a streak is worth a warning; the rest repeat it while Redis is away.
        const log = failures === 1 ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
        log({ err: error, failures }, 'redis bus read failed; retrying');
        await delay(Math.min(50 * failures, 1000), this.stopping.signal);
      }
    }
  }

  /**
   * The reader's client id, for `CLIENT UNBLOCK`. Where ACLs forbid `CLIENT` it is -1: changes
   * then wait for the current read to end (at most blockMs); nothing is lost either way.
   */
  private async clientId(): Promise<number> {
    try {
      return Number(await this.connections.reader.call('CLIENT', ['ID']));
    } catch (error) {
      if (this.connections.reader.status !== 'ready') throw error;
      this.logger.warn({ err: error }, 'CLIENT ID is not allowed; new subscriptions start reading after the current blocking read (blockMs)');
      return -1;
    }
  }

  private buildRequest(): ReadRequest {
    const keys: string[] = [];
    const from = new Map<string, string>();
    for (const state of this.channels.values()) {
      let cursor: string | undefined;
      for (const subscription of state.broadcast) {
        if (!subscription.paused) cursor = cursor === undefined ? subscription.lastId : minId(cursor, subscription.lastId);
      }
      if (state.watchers.size > 0) cursor = cursor === undefined ? state.watchCursor : minId(cursor, state.watchCursor);
      if (cursor === undefined) continue;
      keys.push(state.key);
      from.set(state.key, cursor);
    }
    return { generation: this.generation, keys, from };
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWake = undefined;
        resolve();
      }, this.options.blockMs);
      this.idleWake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async read(request: ReadRequest): Promise<unknown> {
    const reader = this.connections.reader;
    const ids = request.keys.map((key) => request.from.get(key) as string);
    const args = ['COUNT', this.options.readBatchSize, 'BLOCK', this.options.blockMs, 'STREAMS', ...request.keys, ...ids];
    // A half-open TCP connection would hang the read forever: cut it and let ioredis reconnect.
    const watchdog = setTimeout(() => {
      this.logger.warn({ blockMs: this.options.blockMs }, 'blocking read did not return in time; reconnecting the reader');
      reader.disconnect(true);
    }, this.options.blockMs + WATCHDOG_GRACE_MS);
    this.inFlight = request;
    try {
      return await reader.call('XREAD', args);
    } finally {
      clearTimeout(watchdog);
      this.inFlight = undefined;
    }
  }

  /** Interrupts the read in flight if it predates the latest change; retries when the interrupt raced it. */
  private async unblock(): Promise<void> {
    if (this.unblocking) return;
    this.unblocking = true;
    try {
      for (let tries = 0; tries < UNBLOCK_TRIES; tries += 1) {
        const flight = this.inFlight;
        const id = this.readerId;
        if (this.stopped || flight === undefined || flight.generation >= this.generation || id === undefined || id < 0) return;
        if (this.connections.command.status !== 'ready') return;
        const unblocked = await this.connections.command.call('CLIENT', ['UNBLOCK', id]);
        if (unblocked === 1) return;
        await delay(UNBLOCK_RETRY_MS);
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'CLIENT UNBLOCK failed; the change applies after the current read');
    } finally {
      this.unblocking = false;
      // A change that came while this ran may need its own interrupt.
      const flight = this.inFlight;
      if (!this.stopped && flight !== undefined && flight.generation < this.generation && (this.readerId ?? -1) >= 0) {
        setTimeout(() => void this.unblock(), UNBLOCK_RETRY_MS);
      }
    }
  }

  private dispatch(request: ReadRequest, streams: Map<string, StreamEntry[]>): void {
    for (const [key, entries] of streams) {
      const state = this.channels.get(key);
      const from = request.from.get(key);
      const last = entries.at(-1);
      if (state === undefined || from === undefined || last === undefined) continue;
      const decoded = new Map<number, Message | BusError>();
      const messageAt = (index: number): Message | BusError => {
        let result = decoded.get(index);
        if (result === undefined) {
          try {
            result = decodeEntry(state.channel, entries[index] as StreamEntry, 1);
          } catch (error) {
            result = error instanceof BusError ? error : new BusError('invalid_data', String(error));
          }
          decoded.set(index, result);
        }
        return result;
      };
      for (const subscription of [...state.broadcast]) {
        // A subscriber behind `from` would see a gap: it is served by a later read from its own id.
        if (subscription.paused || compareIds(subscription.lastId, from) < 0) continue;
        for (const [index, entry] of entries.entries()) {
          if (compareIds(entry.id, subscription.lastId) <= 0) continue;
          const message = messageAt(index);
          if (message instanceof BusError) {
            subscription.reportError(message);
          } else if (!subscription.offer(message)) {
            subscription.paused = true;
            this.logger.debug({ channel: state.channel, lastId: subscription.lastId }, 'subscriber is behind; pausing its reads');
            break;
          }
          subscription.lastId = entry.id;
        }
      }
      if (state.watchers.size > 0 && compareIds(state.watchCursor, from) >= 0 && compareIds(last.id, state.watchCursor) > 0) {
        state.watchCursor = last.id;
        for (const watcher of state.watchers) watcher.signal();
      }
    }
  }
}
