import type { Logger } from 'pino';
import type { Action } from './auth/channel-grants.js';
import { busErrorCode } from './bus-error-code.js';
import type { ResumedChannel } from './channel-factory.js';
import type { ChannelListener } from './channel-hub.js';
import type { ConnectionDeps } from './connection-deps.js';
import { ConnectionPresence, type PresenceOwner } from './presence/connection-presence.js';
import type { ErrorCode } from './protocol.js';
import type { HandoverSink } from './replay-handover.js';
import { unsubscribedFrame } from './server-frames.js';

/** A plain subscription's entry: the connection itself listens on the hub. */
const LIVE = 'live';

/** What the subscriptions need of their connection; the connection itself, not closures per client. */
export interface SubscriptionOwner extends ChannelListener, PresenceOwner, HandoverSink {
  /** Closed or shutting down: a subscribe that completes now is undone instead of acked. */
  readonly stopped: boolean;
  readonly log: Logger;
  /** `position` only in the ack of a plain subscribe, when the bus gave one (see ChannelHub.join). */
  ack(id: string | undefined, position?: string): void;
  sendError(code: ErrorCode, message: string, id: string | undefined, channel?: string): void;
}

/**
 * One connection's channels: `subscribe` (plain, on the hub, or resumed with `since` through the
 * channel factory), `unsubscribe`, and ending them all when the connection goes.
 */
export class ConnectionSubscriptions {
  private readonly subscribed = new Map<string, ResumedChannel | typeof LIVE>();
  /** Channels whose stream reported a gap while their subscribe was still in progress (not acked yet). */
  private gapsWhileSubscribing: Set<string> | undefined;
  /** Membership of the subscribed channels, their join/leave events (`presence: true`) and presence queries. */
  readonly presence: ConnectionPresence;

  constructor(
    private readonly owner: SubscriptionOwner,
    private readonly deps: ConnectionDeps,
    /** The token's `sub`; undefined for an anonymous connection. */
    sub: string | undefined,
  ) {
    this.presence = new ConnectionPresence(owner, deps.presence, sub);
  }

  /** Returns a promise when later frames must wait for it (the subscription is being opened). */
  subscribe(channel: string, since: string | undefined, id: string | undefined, presence = false): Promise<void> | undefined {
    if (presence && !this.presence.permits(channel, id)) return undefined;
    // Already subscribed: the subscription stands as it is (a `since` is ignored), and it is acked.
    // `presence: true` turns the channel's join/leave events on, if they were not.
    if (this.subscribed.has(channel)) {
      if (presence) return this.presence.listenToo(channel, id);
      this.owner.ack(id);
      return undefined;
    }
    const limit = this.deps.config.maxSubscriptionsPerConnection;
    if (this.subscribed.size >= limit) {
      this.owner.sendError('too_many_subscriptions', `a connection may subscribe to at most ${limit} channels`, id, channel);
      return undefined;
    }
    return since === undefined ? this.join(channel, id, presence) : this.resume(channel, since, id, presence);
  }

  unsubscribe(channel: string, id: string | undefined): void {
    const subscription = this.subscribed.get(channel);
    if (subscription === undefined) {
      this.owner.sendError('not_subscribed', `not subscribed to "${channel}"`, id, channel);
      return;
    }
    this.subscribed.delete(channel);
    this.stop(channel, subscription);
    this.owner.ack(id);
  }

  /** The channels subscribed now (a copy: ending one while iterating is fine). */
  channels(): string[] {
    return [...this.subscribed.keys()];
  }

  /** Ends one subscription without an answer to the client (the server decided, e.g. a revoked grant). */
  end(channel: string): void {
    const subscription = this.subscribed.get(channel);
    if (subscription === undefined) return;
    this.subscribed.delete(channel);
    this.stop(channel, subscription);
  }

  /**
   * After a refresh: ends each subscription the new grants no longer allow `subscribe` on, with an
   * `unsubscribed` frame, and stops the presence events they no longer allow `presence` on.
   */
  refreshed(access: { allows(channel: string, action: Action): boolean }): void {
    for (const channel of this.channels()) {
      if (access.allows(channel, 'subscribe')) continue;
      this.end(channel);
      this.owner.send(unsubscribedFrame(channel, 'forbidden', `the refreshed token does not allow subscribe on "${channel}"`));
    }
    this.presence.revoke((channel) => access.allows(channel, 'presence'));
  }

  /**
   * The channel's stream can no longer promise every message (the instance's subscription fell
   * behind and the bus had dropped what came after it, or the client's replay fell behind): ends
   * the subscription with an `unsubscribed` frame of code `position_expired`, and the client
   * subscribes again with `since` = the position of the last message it got.
   */
  gap(channel: string): void {
    if (!this.subscribed.has(channel)) {
      // Only a listener that joined reports a gap: the subscribe is in progress, and settles it once acked.
      (this.gapsWhileSubscribing ??= new Set()).add(channel);
      return;
    }
    this.end(channel);
    this.owner.send(
      unsubscribedFrame(channel, 'position_expired', `the server's subscription to "${channel}" fell behind; subscribe again with "since" set to the position of the last message you received`),
    );
  }

  /** Ends every subscription; safe to call more than once. */
  releaseAll(): void {
    for (const [channel, subscription] of this.subscribed) this.stop(channel, subscription);
    this.subscribed.clear();
  }

  private async join(channel: string, id: string | undefined, presence: boolean): Promise<void> {
    let position: string | undefined;
    try {
      position = await this.deps.hub.join(channel, this.owner);
    } catch (error) {
      this.failed(error, channel, id);
      return;
    }
    // Checked after the wait: the connection may have closed meanwhile, and its releaseAll missed this channel.
    if (!(await this.presence.ready(channel, presence, id)) || this.owner.stopped) {
      this.presence.abandon(channel);
      this.deps.hub.leave(channel, this.owner);
      this.settleGap(channel, false);
      return;
    }
    this.subscribed.set(channel, LIVE);
    this.owner.ack(id, position);
    this.presence.added(channel, presence);
    this.settleGap(channel);
  }

  /** A gap reported before the subscribe was acked is told now (and forgotten for an abandoned one). */
  private settleGap(channel: string, told = true): void {
    if (this.gapsWhileSubscribing?.delete(channel) === true && told) this.gap(channel);
  }

  private async resume(channel: string, since: string, id: string | undefined, presence: boolean): Promise<void> {
    let subscription: ResumedChannel;
    try {
      subscription = await this.deps.channels.open({ channel, since, logger: this.owner.log, sink: this.owner, onGap: () => this.gap(channel) });
    } catch (error) {
      this.failed(error, channel, id);
      return;
    }
    if (!(await this.presence.ready(channel, presence, id)) || this.owner.stopped) {
      this.presence.abandon(channel);
      subscription.close();
      this.settleGap(channel, false);
      return;
    }
    this.subscribed.set(channel, subscription);
    if (subscription.replayStart === 'truncated') {
      this.owner.sendError(
        'position_expired',
        'some messages after "since" are no longer kept; delivery resumed at the oldest kept message',
        id,
        channel,
      );
    }
    this.owner.ack(id);
    this.presence.added(channel, presence);
    this.settleGap(channel);
  }

  private failed(error: unknown, channel: string, id: string | undefined): void {
    this.settleGap(channel, false);
    const { code, message } = busErrorCode(error);
    if (code === 'internal_error') this.owner.log.error({ channel, err: error }, 'subscribe failed');
    this.owner.sendError(code, message, id, channel);
  }

  private stop(channel: string, subscription: ResumedChannel | typeof LIVE): void {
    if (subscription === LIVE) this.deps.hub.leave(channel, this.owner);
    else subscription.close();
    this.presence.removed(channel);
  }
}
