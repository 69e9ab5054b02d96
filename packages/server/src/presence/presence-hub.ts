import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { inject, injectable } from 'tsyringe';
import { BusError, describeError, type Message, type MessageBus, type PublishOptions } from '@app/core';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import { BUS, CLOCK, CONFIG, LOGGER, METRICS } from '../tokens.js';
import { ChannelPresence, type PresenceListener } from './channel-presence.js';
import { LogThrottle } from './log-throttle.js';
import { LIVENESS_CHANNEL, presenceChannelOf, presenceProblem } from './presence-channel.js';
import { PresenceDecoder } from './presence-decoder.js';
import { PresenceFollow } from './presence-follow.js';
import { PresenceLiveness } from './presence-liveness.js';
import { deltaMessage, signalMessage, stateMessages, type PresenceMessage } from './presence-messages.js';
import { PresenceOutages } from './presence-outages.js';
import { PresenceRepairs } from './presence-repairs.js';
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
 * For the liveness channel only (`alive`, and the `bye` there): the bus need not keep them, so
 * they stay out of the memory bus's history and off Redis streams (Kafka stores them anyway). A
 * lost `alive` is repaired by the next one, a lost `bye` by the TTL. Channel messages (`join`,
 * `leave`, `sync`, `state`) are stored: a follower that lost its link to the bus catches them up
 * (or is told `position_expired` and follows again), whereas a lost one would never be repaired,
 * as nothing periodic restates a channel.
 */
const LIVE_ONLY: PublishOptions = { ephemeral: true };

/**
 * Presence for the whole instance, over the MessageBus alone (any driver; across processes on
 * those with `crossInstance`). Per channel C with local members, presence listeners or a recent
 * query, it follows `presence.<C>` and keeps a {@link ChannelPresence}; it publishes there the
 * `join`/`leave` of its local users, a `sync` when it starts following, and its `state` in answer
 * to a `sync` or to repair a failed publish. While it keeps any channel it also follows the
 * liveness channel ({@link PresenceLiveness}), where it says `alive` once per PRESENCE_HEARTBEAT_MS
 * while it has members anywhere (one message, however many channels) and `bye` at shutdown. A
 * remote incarnation heard from neither on C nor there for PRESENCE_TTL_MS is dropped from C by a
 * sweep every `sweepMs` (see presence-settings.ts). After a long silence of this instance's own
 * link, either way, it restates or syncs its channels once ({@link PresenceOutages}).
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
  private readonly liveness: PresenceLiveness;
  /** Failed publishes, repaired at the next heartbeat. */
  private readonly repairs = new PresenceRepairs();
  /** The repairs after this instance's own outage (sending or hearing). */
  private readonly outages: PresenceOutages;
  /** A `join` went out: others may list users of this incarnation, so it says `bye` at shutdown. */
  private announced = false;
  private timers: NodeJS.Timeout[] | undefined;
  private closing: Promise<void> | undefined;
  private readonly publishFailures: LogThrottle;
  private readonly decoder: PresenceDecoder;

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
    this.decoder = new PresenceDecoder(metrics, logger);
    this.outages = new PresenceOutages(this.settings.ttlMs, this.settings.heartbeatMs, clock, {
      withMembers: () => this.channelsWithMembers(),
      followed: () => [...this.channels.values()].filter((entry) => entry.follow !== undefined).map((entry) => entry.channel),
      restate: (channel) => this.restate(channel),
      sync: (channel) => this.resync(channel),
    });
    this.liveness = new PresenceLiveness(bus, this.incarnation, this.settings.ttlMs, clock, logger, {
      decode: (message) => this.decoder.decode(message),
      aliveHeard: () => this.outages.aliveHeard(),
      departed: (instance) => {
        // Once per shutdown of another instance, so a loop over the channels is fine here.
        for (const entry of this.channels.values()) entry.views.drop(instance);
      },
      failed: (error) => this.publishFailures.warn({ channel: LIVENESS_CHANNEL, err: describeError(error) }, 'could not follow presence; trying again'),
    });
  }

  /** Channels whose presence this instance keeps now. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** A local connection of `user` subscribed to `channel`. Channels too long for presence are not counted. */
  addMember(channel: string, user: string): void {
    if (this.closing !== undefined || presenceProblem(channel) !== undefined) return;
    const entry = this.entry(channel);
    if (!entry.addLocal(user)) return;
    this.announced = true;
    void this.publish(channel, deltaMessage('join', this.incarnation, user));
  }

  /** A local connection of `user` left `channel` (unsubscribed or closed). */
  removeMember(channel: string, user: string): void {
    const entry = this.channels.get(channel);
    if (entry === undefined) return;
    if (entry.removeLocal(user)) void this.publish(channel, deltaMessage('leave', this.incarnation, user));
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

  /** Says `bye` (once, on the liveness channel) and ends the presence subscriptions. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers ?? []) clearInterval(timer);
    this.outages.stop();
    const entries = [...this.channels.values()];
    this.channels.clear();
    this.metrics.presenceChannels.set(0);
    for (const entry of entries) entry.stopped = true;
    // Drops this incarnation on every channel of every instance. Published before the bus closes
    // (the server closes it after this), not awaited: bus.close() waits for it.
    if (this.announced) void this.publish(undefined, signalMessage('bye', this.incarnation));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([Promise.all([...entries.map((entry) => entry.follow?.stop()), this.liveness.stop()]), waited]);
    clearTimeout(timer);
  }

  private entry(channel: string): ChannelPresence {
    let entry = this.channels.get(channel);
    if (entry === undefined) {
      entry = new ChannelPresence(channel, this.incarnation, this.settings.ttlMs, this.liveness, this.logger);
      this.channels.set(channel, entry);
      this.metrics.presenceChannels.set(this.channels.size);
      this.startTimers();
      this.liveness.start();
      this.following(entry);
    }
    return entry;
  }

  private following(entry: ChannelPresence): PresenceFollow {
    if (entry.follow !== undefined) return entry.follow;
    const onLive = (): void => {
      entry.followLive(this.clock.now(), this.settings.syncMs);
      void this.publish(entry.channel, signalMessage('sync', this.incarnation));
    };
    // The bus ended it (fell behind): the sweep follows again, and that sync repairs what was missed.
    const onEnded = (): void => {
      if (entry.follow !== follow) return;
      entry.follow = undefined;
      void follow.stop();
    };
    const follow = new PresenceFollow(this.bus, presenceChannelOf(entry.channel), (message) => this.receive(entry, message), this.settings.syncMs, onLive, this.logger, onEnded);
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
    const parsed = this.decoder.decode(message);
    // Late messages of an incarnation that said bye (other channels are not ordered with the liveness one).
    if (parsed === undefined || entry.isOwn(parsed) || this.liveness.saidBye(parsed.instance)) return;
    if (entry.apply(parsed, this.clock.now())) this.answerSync(entry);
  }

  private answerSync(entry: ChannelPresence): void {
    if (entry.stateQueued) return;
    entry.stateQueued = true;
    setTimeout(() => {
      entry.stateQueued = false;
      if (!entry.stopped && entry.local.size > 0) this.restate(entry.channel);
    }, SYNC_ANSWER_DELAY_MS).unref();
  }

  /** This instance's full `state` of `channel`; empty for a channel dropped since (its last leave failed): the others must forget our users there. */
  private restate(channel: string): void {
    for (const message of stateMessages(this.incarnation, [...(this.channels.get(channel)?.local.keys() ?? [])])) void this.publish(channel, message);
  }

  /** Publishes on the presence channel of `channel`, or on the liveness channel when undefined; resolves to whether it went out. */
  private publish(channel: string | undefined, message: PresenceMessage): Promise<boolean> {
    this.metrics.presencePublished.inc({ type: message.type });
    // Not awaited: the bus keeps one publisher's order per channel (orderedPerChannel). A failed
    // channel message is repaired at the next heartbeat (nothing periodic would).
    const published = channel === undefined ? this.bus.publish(LIVENESS_CHANNEL, message, LIVE_ONLY) : this.bus.publish(presenceChannelOf(channel), message);
    return published.then(
      () => true,
      (error: unknown) => {
        if (this.closing === undefined) this.repairs.failed(channel, message.type);
        this.publishFailures.warn({ channel: channel ?? LIVENESS_CHANNEL, type: message.type, err: describeError(error) }, 'presence publish failed');
        return false;
      },
    );
  }

  private *channelsWithMembers(): Generator<string, void> {
    for (const entry of this.channels.values()) if (entry.local.size > 0) yield entry.channel;
  }

  /** A `sync` on `channel` if it is still followed: a channel not followed needs none, as a re-follow sends its own. */
  private resync(channel: string): void {
    if (this.closing === undefined && this.channels.get(channel)?.follow !== undefined) void this.publish(channel, signalMessage('sync', this.incarnation));
  }

  private startTimers(): void {
    if (this.timers !== undefined || this.closing !== undefined) return;
    this.timers = [setInterval(() => this.heartbeat(), this.settings.heartbeatMs).unref(), setInterval(() => this.sweep(), this.settings.sweepMs).unref()];
  }

  /** One `alive` for all channels with local members, then the repairs of failed publishes. */
  private heartbeat(): void {
    this.outages.beat(!this.channelsWithMembers().next().done, () => this.publish(undefined, signalMessage('alive', this.incarnation)));
    const { resync, restate } = this.repairs.take();
    for (const channel of resync) this.resync(channel);
    for (const channel of restate) this.restate(channel);
  }

  private sweep(): void {
    const now = this.clock.now();
    this.liveness.prune(now);
    if (this.channels.size > 0) this.liveness.start();
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
    // Nothing kept, so no view to keep alive: `alive`s are not needed until a channel is kept again.
    if (this.channels.size === 0) {
      void this.liveness.stop();
      this.outages.notHearing();
    }
  }

  private closedError(): BusError {
    return new BusError('closed', 'the server is shutting down');
  }
}
