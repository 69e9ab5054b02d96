import { BusError, type BusLogger } from '@app/core';
import type { Redis } from 'ioredis';
import { decodeAnnouncement, type LiveEntry } from './announcement.js';

/** A subscription that hears its channel's announcements. */
export interface LiveListener {
  /** An announcement arrived on the subscriber connection. */
  onLive(entry: LiveEntry): void;
  /** The subscriber connection came back and its channels are subscribed again: announcements may have been missed. */
  onResubscribed(): void;
  /** An announcement that is not ours, or whose data is not JSON. */
  reportError(error: Error): void;
}

interface ChannelEntry {
  readonly channel: string;
  readonly listeners: Set<LiveListener>;
  /** Redis has confirmed `SUBSCRIBE` on the current connection. */
  subscribed: boolean;
  /** SUBSCRIBE and UNSUBSCRIBE of one channel run one after another, in call order. */
  chain: Promise<void>;
}

/**
 * The pub/sub side of an instance: one `SUBSCRIBE` per channel with subscribers here, on one
 * connection, however many subscriptions share the channel. Each announcement is decoded once and
 * handed to every listener of its channel. What it costs follows traffic: an instance hears only
 * the channels it subscribed to, and a quiet channel costs nothing per second.
 */
export class LiveChannels {
  private readonly channels = new Map<string, ChannelEntry>();
  private stopped = false;

  constructor(
    private readonly connection: Redis,
    private readonly logger: BusLogger,
  ) {
    connection.on('message', (key: string, text: string) => this.dispatch(key, text));
    connection.on('close', () => {
      for (const entry of this.channels.values()) entry.subscribed = false;
    });
    connection.on('ready', () => void this.resubscribe());
  }

  /**
   * Adds a listener; resolves once Redis confirmed the subscription, so every announcement
   * made from then on reaches the listener. Rejects (and forgets the listener) when Redis
   * cannot be told.
   */
  async add(key: string, channel: string, listener: LiveListener): Promise<void> {
    let entry = this.channels.get(key);
    if (entry === undefined) {
      entry = { channel, listeners: new Set(), subscribed: false, chain: Promise.resolve() };
      this.channels.set(key, entry);
    }
    entry.listeners.add(listener);
    const current = entry;
    const step = current.chain.then(() => this.ensureSubscribed(key, current));
    current.chain = step.catch(() => undefined);
    try {
      await step;
    } catch (error) {
      this.remove(key, listener);
      throw error;
    }
  }

  /** Removes a listener; the last one out unsubscribes the channel (in the background). */
  remove(key: string, listener: LiveListener): void {
    const entry = this.channels.get(key);
    if (entry === undefined || !entry.listeners.delete(listener) || entry.listeners.size > 0) return;
    entry.chain = entry.chain.then(async () => {
      if (entry.listeners.size > 0) return;
      if (entry.subscribed && this.connection.status === 'ready') {
        entry.subscribed = false;
        await this.connection.unsubscribe(key).catch((error: unknown) => this.logger.debug({ channel: entry.channel, err: error }, 'UNSUBSCRIBE failed'));
      }
      // A later add() finds no entry and starts afresh, after this UNSUBSCRIBE was sent.
      if (entry.listeners.size === 0 && this.channels.get(key) === entry) this.channels.delete(key);
    });
  }

  /** Stops handing out announcements (the bus is closing). */
  stop(): void {
    this.stopped = true;
  }

  private async ensureSubscribed(key: string, entry: ChannelEntry): Promise<void> {
    if (entry.subscribed || entry.listeners.size === 0) return;
    if (this.connection.status !== 'ready') {
      throw new BusError('not_connected', `subscribe to "${entry.channel}" failed: the pub/sub connection to Redis is down; reconnecting`);
    }
    await this.connection.subscribe(key);
    entry.subscribed = true;
  }

  private dispatch(key: string, text: string): void {
    const entry = this.channels.get(key);
    if (this.stopped || entry === undefined || entry.listeners.size === 0) return;
    const live = decodeAnnouncement(entry.channel, text);
    for (const listener of [...entry.listeners]) {
      if (live instanceof BusError) listener.reportError(live);
      else listener.onLive(live);
    }
  }

  /** After a reconnect: subscribes every channel again, then tells each listener to look for what it missed. */
  private async resubscribe(): Promise<void> {
    const entries = [...this.channels.entries()].filter(([, entry]) => entry.listeners.size > 0);
    if (entries.length === 0 || this.stopped) return;
    try {
      await this.connection.subscribe(...entries.map(([key]) => key));
    } catch (error) {
      // A connection that is still up would never be 'ready' again: drop it so the retry comes.
      this.logger.warn({ err: error }, 'subscribing again after a reconnect failed; reconnecting');
      if (this.connection.status === 'ready') this.connection.disconnect(true);
      return;
    }
    const orphans: string[] = [];
    for (const [key, entry] of entries) {
      // Removed while SUBSCRIBE was on its way: its remove() had nothing to unsubscribe yet.
      const current = this.channels.get(key);
      if (current !== entry || entry.listeners.size === 0) {
        if (current === undefined || current.listeners.size === 0) orphans.push(key);
        continue;
      }
      entry.subscribed = true;
      for (const listener of [...entry.listeners]) listener.onResubscribed();
    }
    if (orphans.length > 0) {
      await this.connection.unsubscribe(...orphans).catch((error: unknown) => this.logger.debug({ err: error }, 'UNSUBSCRIBE failed'));
    }
  }
}
