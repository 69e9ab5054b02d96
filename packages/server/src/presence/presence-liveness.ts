import type { Message, MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { LIVENESS_CHANNEL } from './presence-channel.js';
import { PresenceFollow } from './presence-follow.js';
import type { PresenceMessage } from './presence-messages.js';

/** What a channel's remote views ask before dropping a view they have not heard from for the TTL. */
export interface LivenessCheck {
  /** True when `instance` must be kept though nothing of it arrived on the channel for the TTL. */
  keepsAlive(instance: string, now: number): boolean;
}

/** What the liveness follow needs of the hub. */
export interface LivenessHooks {
  /** The message, or undefined for a bad one (which the hub logs and counts). */
  decode(message: Message): PresenceMessage | undefined;
  /** Any `alive` arrived, this instance's own included: its receive path works (see PresenceOutages). */
  aliveHeard(): void;
  /** `instance` said `bye` on the liveness channel: drop it on every channel. */
  departed(instance: string): void;
  /** The follow could not start (logged by the hub, throttled). */
  failed(error: unknown): void;
}

/**
 * This instance's side of the liveness channel (`presence._instances`): when each remote
 * incarnation last said `alive`, on this instance's clock. One map lookup answers for every
 * channel, so an `alive` renews its sender everywhere at O(1) cost; the channels' sweeps consult
 * {@link keepsAlive} only for views they would otherwise drop.
 *
 * Safety: while the follow is not live (starting, failed, ended by the bus) the lack of `alive`s
 * proves nothing, so every incarnation is kept; and after it (re)becomes live, for one more TTL,
 * so that the senders have had a full TTL to be heard. Only then does silence mean death.
 *
 * An incarnation that said `bye` is remembered for a TTL: its per-channel messages still in flight
 * (other channels are not ordered with this one) must not bring it back.
 */
export class PresenceLiveness implements LivenessCheck {
  private readonly lastHeard = new Map<string, number>();
  private readonly byeAt = new Map<string, number>();
  private follow: PresenceFollow | undefined;
  /** When the current follow became live; undefined while there is no live follow. */
  private liveSince: number | undefined;

  constructor(
    private readonly bus: MessageBus,
    private readonly incarnation: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly hooks: LivenessHooks,
  ) {}

  /** Whether the follow is live now (for the sweep's retry and the tests' waits). */
  get live(): boolean {
    return this.liveSince !== undefined;
  }

  /** Follows the liveness channel unless it does or is about to; the hub calls it again from its sweep after a failure. */
  start(): void {
    if (this.follow !== undefined) return;
    const follow = new PresenceFollow(
      this.bus,
      LIVENESS_CHANNEL,
      (message) => this.receive(message),
      0,
      () => {
        if (this.follow === follow) this.liveSince = this.clock.now();
      },
      this.logger,
      () => this.lost(follow),
    );
    this.follow = follow;
    follow.live.catch((error: unknown) => {
      this.hooks.failed(error);
      this.lost(follow);
    });
  }

  /** Ends the follow and forgets what it heard: no channel is kept, so nothing needs it. */
  stop(): Promise<void> {
    const follow = this.follow;
    this.follow = undefined;
    this.liveSince = undefined;
    this.lastHeard.clear();
    return follow?.stop() ?? Promise.resolve();
  }

  keepsAlive(instance: string, now: number): boolean {
    if (this.liveSince === undefined || now < this.liveSince + this.ttlMs) return true;
    const heard = this.lastHeard.get(instance);
    return heard !== undefined && now < heard + this.ttlMs;
  }

  /** Whether `instance` said `bye` within the TTL: its late channel messages are to be ignored. */
  saidBye(instance: string): boolean {
    return this.byeAt.has(instance);
  }

  /** Forgets incarnations silent (or gone) for the TTL, so that the maps do not grow with restarts. */
  prune(now: number): void {
    for (const [instance, heard] of this.lastHeard) if (heard + this.ttlMs <= now) this.lastHeard.delete(instance);
    for (const [instance, at] of this.byeAt) if (at + this.ttlMs <= now) this.byeAt.delete(instance);
  }

  private receive(message: Message): void {
    const parsed = this.hooks.decode(message);
    if (parsed === undefined) return;
    if (parsed.type === 'alive') this.hooks.aliveHeard();
    if (parsed.instance === this.incarnation) return;
    if (parsed.type === 'alive') {
      if (!this.byeAt.has(parsed.instance)) this.lastHeard.set(parsed.instance, this.clock.now());
    } else if (parsed.type === 'bye') {
      this.lastHeard.delete(parsed.instance);
      this.byeAt.set(parsed.instance, this.clock.now());
      this.hooks.departed(parsed.instance);
    }
    // Channel messages do not belong here; a future type is ignored like an unknown one.
  }

  /** The follow failed or the bus ended it: not live until the sweep follows again. */
  private lost(follow: PresenceFollow): void {
    if (this.follow !== follow) return;
    this.follow = undefined;
    this.liveSince = undefined;
    void follow.stop();
  }
}
