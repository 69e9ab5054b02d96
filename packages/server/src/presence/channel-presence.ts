import type { Logger } from 'pino';
import { describeError } from '@app/core';
import { MemberSet } from './member-set.js';
import type { PresenceFollow } from './presence-follow.js';
import type { LivenessCheck } from './presence-liveness.js';
import { presenceEventFrame } from './presence-frames.js';
import type { PresenceMessage } from './presence-messages.js';
import { RemoteViews } from './presence-view.js';

/** A connection that asked for the join/leave events of a channel (`presence: true` on subscribe). */
export interface PresenceListener {
  /** A `join` or `leave` frame of `channel`, encoded once for every listener. */
  presenceEvent(channel: string, frame: string): void;
}

/**
 * Everything one instance holds for the presence of one channel: how many local connections of
 * each user are subscribed, the local connections that want events, the remote incarnations'
 * views, and the union of all that ({@link MemberSet}) from which `join`/`leave` events come.
 *
 * Events tell what changed after this instance began to follow the channel. The `state`s that
 * answer its first `sync` (those arriving within PRESENCE_SYNC_MS of that) only set the baseline:
 * their users were there before, so they raise no `join`. Deltas, later states, expiries and
 * `bye`s always raise events.
 */
export class ChannelPresence {
  readonly local = new Map<string, number>();
  readonly listeners = new Set<PresenceListener>();
  readonly members: MemberSet;
  readonly views: RemoteViews;
  /** The bus subscription to the presence channel; undefined before it starts or after it failed. */
  follow: PresenceFollow | undefined;
  /** A query asked: keep following until then, so the next queries answer at once. */
  holdUntil = 0;
  /** Queries waiting for the sync window. */
  waiting = 0;
  /** A `state` answering `sync` is about to go out. */
  stateQueued = false;
  /** Dropped from the hub: messages still in flight for it are ignored. */
  stopped = false;
  private baselineUntil = Number.POSITIVE_INFINITY;
  private quiet = false;

  constructor(
    readonly channel: string,
    private readonly incarnation: string,
    ttlMs: number,
    liveness: LivenessCheck,
    private readonly logger: Logger,
  ) {
    this.members = new MemberSet((user, present) => this.changed(user, present));
    this.views = new RemoteViews(this.members, ttlMs, liveness);
  }

  /** Nothing keeps this channel: no local member, no listener, no query waiting or held. */
  idle(now: number): boolean {
    return this.local.size === 0 && this.listeners.size === 0 && this.waiting === 0 && this.holdUntil <= now;
  }

  /**
   * The follow went live and the `sync` is out: states arriving in the next `syncMs` set the
   * baseline. Only the first time: a follow restarted after a failure repairs with events, and
   * the views from before the gap must be heard from again ({@link RemoteViews.refollowed}).
   */
  followLive(now: number, syncMs: number): void {
    if (this.baselineUntil === Number.POSITIVE_INFINITY) this.baselineUntil = now + syncMs;
    else this.views.refollowed(now);
  }

  /** One more local connection of `user`; true when it is the first (a `join` to announce). */
  addLocal(user: string): boolean {
    const count = this.local.get(user) ?? 0;
    this.local.set(user, count + 1);
    if (count === 0) this.members.add(user);
    return count === 0;
  }

  /** One local connection of `user` less; true when it was the last (a `leave` to announce). */
  removeLocal(user: string): boolean {
    const count = this.local.get(user);
    if (count === undefined) return false;
    if (count > 1) {
      this.local.set(user, count - 1);
      return false;
    }
    this.local.delete(user);
    this.members.remove(user);
    return true;
  }

  /** Applies a message of another incarnation; returns true for a `sync` this instance should answer. */
  apply(message: PresenceMessage, now: number): boolean {
    switch (message.type) {
      case 'join':
        this.views.join(message.instance, message.user, now);
        return false;
      case 'leave':
        this.views.leave(message.instance, message.user, now);
        return false;
      case 'state':
        this.quiet = now < this.baselineUntil;
        try {
          this.views.state(message.instance, message.users, message.part, message.parts, now);
        } finally {
          this.quiet = false;
        }
        return false;
      case 'sync':
        this.views.touch(message.instance, now);
        return this.local.size > 0;
      case 'alive':
        // Belongs on the liveness channel; here it is still a sign of life on this channel.
        this.views.touch(message.instance, now);
        return false;
      case 'bye':
        this.views.drop(message.instance);
        return false;
    }
  }

  /** Whether `message` is this instance's own (the bus hands a publisher its own messages too). */
  isOwn(message: PresenceMessage): boolean {
    return message.instance === this.incarnation;
  }

  private changed(user: string, present: boolean): void {
    if (this.quiet || this.stopped || this.listeners.size === 0) return;
    const frame = presenceEventFrame(present ? 'join' : 'leave', this.channel, user);
    for (const listener of this.listeners) {
      try {
        listener.presenceEvent(this.channel, frame);
      } catch (error) {
        // One broken listener must not keep the event from the others.
        this.logger.error({ channel: this.channel, err: describeError(error) }, 'presence listener failed');
      }
    }
  }
}
