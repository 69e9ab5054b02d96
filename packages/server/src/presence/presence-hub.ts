import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'tsyringe';
import { BusError, describeError, type Message, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import { BUS, CLOCK, CONFIG, LOGGER, METRICS } from '../tokens.js';
import { ChannelPresence, type PresenceListener } from './channel-presence.js';
import { LogThrottle } from './log-throttle.js';
import { presenceChannelOf, presenceProblem } from './presence-channel.js';
import { PresenceFollow } from './presence-follow.js';
import { deltaMessage, parsePresenceMessage, signalMessage, stateMessages, type PresenceMessage } from './presence-messages.js';
import { presenceSettings, type PresenceSettings } from './presence-settings.js';

/** The members of a channel as a query returns them. */
export interface PresenceAnswer {
  readonly users: readonly string[];
  readonly truncated: boolean;
}

/** Syncs arriving this close together get one `state` in answer. */
const SYNC_ANSWER_DELAY_MS = 10;
/** Longest wait at shutdown for the presence subscriptions to end. */
const CLOSE_WAIT_MS = 2000;
const LOG_INTERVAL_MS = 10_000;

/**
 * Presence for the whole instance, over the MessageBus alone (any driver; across processes on
 * those with `crossInstance`). Per channel C with local members, presence listeners or a recent
 * query, it follows `presence.<C>` and keeps a {@link ChannelPresence}; it publishes there the
 * `join`/`leave` of its local users, a `state` heartbeat every PRESENCE_HEARTBEAT_MS, a `sync` when
 * it starts following, and a `bye` at shutdown. Remote incarnations not heard from for
 * PRESENCE_TTL_MS are dropped by a sweep every `sweepMs` (see presence-settings.ts).
 *
 * A subscribe without presence costs a count in a map, plus, for the first local connection of
 * a user on C, one `join` message (and, for the first user on C, the follow).
 */
@injectable()
export class PresenceHub {
  /** This start of this instance as presence messages name it: INSTANCE_ID, a dot, a random suffix. */
  readonly incarnation: string;
  private readonly settings: PresenceSettings;
  private readonly channels = new Map<string, ChannelPresence>();
  private timers: NodeJS.Timeout[] | undefined;
  private closing: Promise<void> | undefined;
  private readonly publishFailures: LogThrottle;
  private readonly badMessages: LogThrottle;

  constructor(
    @inject(BUS) private readonly bus: MessageBus,
    @inject(CONFIG) config: ServerConfig,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(METRICS) private readonly metrics: ServerMetrics,
    /** What PRESENCE_TTL_MS and the sync window are measured on; the sweep and heartbeat run on real timers. */
    @inject(CLOCK) private readonly clock: Clock,
  ) {
    this.settings = presenceSettings(config);
    this.incarnation = `${config.instanceId}.${randomBytes(4).toString('hex')}`;
    this.publishFailures = new LogThrottle(logger, LOG_INTERVAL_MS);
    this.badMessages = new LogThrottle(logger, LOG_INTERVAL_MS);
  }

  /** Channels whose presence this instance keeps now. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** A local connection of `user` subscribed to `channel`. Channels too long for presence are not counted. */
  addMember(channel: string, user: string): void {
    if (this.closing !== undefined || presenceProblem(channel) !== undefined) return;
    const entry = this.entry(channel);
    if (entry.addLocal(user)) this.publish(entry, deltaMessage('join', this.incarnation, user));
  }

  /** A local connection of `user` left `channel` (unsubscribed or closed). */
  removeMember(channel: string, user: string): void {
    const entry = this.channels.get(channel);
    if (entry === undefined) return;
    if (entry.removeLocal(user)) this.publish(entry, deltaMessage('leave', this.incarnation, user));
    this.dropIfIdle(entry);
  }

  /**
   * Sends `listener` the `join`/`leave` events of `channel`; resolves once this instance follows
   * the channel's presence, so that every change from then on, on any instance, reaches it.
   */
  listen(channel: string, listener: PresenceListener): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(this.closedError());
    const entry = this.entry(channel);
    entry.listeners.add(listener);
    return this.following(entry).live;
  }

  unlisten(channel: string, listener: PresenceListener): void {
    const entry = this.channels.get(channel);
    if (entry === undefined || !entry.listeners.delete(listener)) return;
    this.dropIfIdle(entry);
  }

  /**
   * The members of `channel` on every instance, each once. On a channel this instance did not
   * follow yet it follows, sends `sync` and waits PRESENCE_SYNC_MS for the answers; it then keeps
   * following for a TTL, so that the next queries answer at once.
   */
  async query(channel: string): Promise<PresenceAnswer> {
    if (this.closing !== undefined) throw this.closedError();
    const entry = this.entry(channel);
    entry.holdUntil = Math.max(entry.holdUntil, this.clock.now() + this.settings.ttlMs);
    entry.waiting += 1;
    try {
      await this.following(entry).synced;
    } finally {
      entry.waiting -= 1;
    }
    return entry.members.list(this.settings.maxMembers);
  }

  /** Says `bye` on every channel with local members and ends the presence subscriptions. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers ?? []) clearInterval(timer);
    const entries = [...this.channels.values()];
    this.channels.clear();
    this.metrics.presenceChannels.set(0);
    for (const entry of entries) {
      // Published before the bus closes (the server closes it after this), not awaited: bus.close() waits for it.
      if (entry.local.size > 0) this.publish(entry, signalMessage('bye', this.incarnation));
      entry.stopped = true;
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([Promise.all(entries.map((entry) => entry.follow?.stop())), waited]);
    clearTimeout(timer);
  }

  private entry(channel: string): ChannelPresence {
    let entry = this.channels.get(channel);
    if (entry === undefined) {
      entry = new ChannelPresence(channel, this.incarnation, this.settings.ttlMs, this.logger);
      this.channels.set(channel, entry);
      this.metrics.presenceChannels.set(this.channels.size);
      this.startTimers();
      this.following(entry);
    }
    return entry;
  }

  private following(entry: ChannelPresence): PresenceFollow {
    if (entry.follow !== undefined) return entry.follow;
    const onLive = (): void => {
      entry.followLive(this.clock.now(), this.settings.syncMs);
      this.publish(entry, signalMessage('sync', this.incarnation));
    };
    const follow = new PresenceFollow(this.bus, presenceChannelOf(entry.channel), (message) => this.receive(entry, message), this.settings.syncMs, onLive, this.logger);
    entry.follow = follow;
    follow.live.catch((error: unknown) => {
      // The sweep tries again while the channel is still wanted.
      if (entry.follow === follow) entry.follow = undefined;
      this.publishFailures.warn({ channel: entry.channel, err: describeError(error) }, 'could not follow presence; trying again');
    });
    return follow;
  }

  private receive(entry: ChannelPresence, message: Message): void {
    if (entry.stopped) return;
    let parsed: PresenceMessage | string;
    try {
      parsed = parsePresenceMessage(message.data);
    } catch (error) {
      parsed = `undecodable: ${describeError(error)}`;
    }
    if (typeof parsed === 'string') {
      this.metrics.presenceIgnored.inc();
      this.badMessages.warn({ channel: message.channel, messageId: message.id, problem: parsed }, 'ignored a bad presence message');
      return;
    }
    if (entry.isOwn(parsed)) return;
    if (entry.apply(parsed, this.clock.now())) this.answerSync(entry);
  }

  private answerSync(entry: ChannelPresence): void {
    if (entry.stateQueued) return;
    entry.stateQueued = true;
    setTimeout(() => {
      entry.stateQueued = false;
      if (!entry.stopped && entry.local.size > 0) this.publishState(entry);
    }, SYNC_ANSWER_DELAY_MS).unref();
  }

  private publishState(entry: ChannelPresence): void {
    for (const message of stateMessages(this.incarnation, [...entry.local.keys()])) this.publish(entry, message);
  }

  private publish(entry: ChannelPresence, message: PresenceMessage): void {
    this.metrics.presencePublished.inc({ type: message.type });
    // Not awaited: the bus keeps one publisher's order per channel (orderedPerChannel), and a lost
    // message is repaired by the next heartbeat.
    this.bus.publish(presenceChannelOf(entry.channel), message).catch((error: unknown) => {
      this.publishFailures.warn({ channel: entry.channel, type: message.type, err: describeError(error) }, 'presence publish failed');
    });
  }

  private startTimers(): void {
    if (this.timers !== undefined || this.closing !== undefined) return;
    const heartbeat = setInterval(() => this.heartbeat(), this.settings.heartbeatMs);
    const sweep = setInterval(() => this.sweep(), this.settings.sweepMs);
    heartbeat.unref();
    sweep.unref();
    this.timers = [heartbeat, sweep];
  }

  private heartbeat(): void {
    for (const entry of this.channels.values()) if (entry.local.size > 0) this.publishState(entry);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const entry of this.channels.values()) {
      entry.views.sweep(now);
      if (entry.idle(now)) this.drop(entry);
      else if (entry.follow === undefined) this.following(entry);
    }
  }

  private dropIfIdle(entry: ChannelPresence): void {
    if (entry.idle(this.clock.now())) this.drop(entry);
  }

  private drop(entry: ChannelPresence): void {
    if (this.channels.get(entry.channel) === entry) this.channels.delete(entry.channel);
    this.metrics.presenceChannels.set(this.channels.size);
    entry.stopped = true;
    void entry.follow?.stop();
  }

  private closedError(): BusError {
    return new BusError('closed', 'the server is shutting down');
  }
}
