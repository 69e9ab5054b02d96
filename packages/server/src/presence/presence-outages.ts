import type { Clock } from '../clock.js';

/** Most slices a recovery's syncs are sent in, spread over one heartbeat. */
const RECOVERY_SLICES = 10;

/** What the outage repairs need of the hub. */
export interface OutageHooks {
  /** The channels with local members now (to restate after this instance's own outage). */
  withMembers(): Iterable<string>;
  /** The channels this instance follows now (to sync after a gap in hearing). */
  followed(): Iterable<string>;
  /** Publishes this instance's full `state` on `channel`. */
  restate(channel: string): void;
  /** Publishes a `sync` on `channel` if it is still followed (the hub checks at its turn). */
  sync(channel: string): void;
}

/**
 * Repairs after an outage of this instance's own link to the bus, on either side, measured on
 * this instance's clock. Nothing is kept per remote incarnation (two timestamps, and the channels
 * of a recovery under way for one heartbeat), so the cost grows neither with the number of
 * instances nor with the length of the outage.
 *
 * - Sender side: when an `alive` publish succeeds and the previous success was TTL - heartbeat
 *   or more ago, the others may have dropped this instance for silence, so every channel with
 *   local members is restated once. A single failed `alive` marks nothing: an alive a heartbeat
 *   later still comes within the TTL.
 * - Receiver side: when an `alive` is heard (this instance's own too) and the previous one heard
 *   was TTL - heartbeat or more ago, this instance may have dropped remote views for silence, so
 *   it sends one `sync` on every channel it follows, spread over one heartbeat so that the
 *   answering `state`s do not all arrive at once. Not on the first alive ever heard: at startup
 *   each follow's own sync covers it.
 *
 * Why a gap shorter than TTL - heartbeat needs nothing: an incarnation that keeps sending an alive
 * every heartbeat cannot expire on a receiver that went less than TTL - heartbeat without hearing
 * any alive; a longer gap is the signature of the receiver's own path (or the whole bus) being down.
 */
export class PresenceOutages {
  private lastSent: number | undefined;
  private lastHeard: number | undefined;
  /** Channels of the recovery under way, in sending order; each at most once. */
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ttlMs: number,
    private readonly heartbeatMs: number,
    private readonly clock: Clock,
    private readonly hooks: OutageHooks,
  ) {}

  /**
   * A heartbeat: with local members, publishes an `alive` through `publish` (resolving to whether
   * it went out) and, once it is out after a long silence, restates the channels with members.
   * The first alive of a run counts as sent when tried (the `join`s just went out), so that a run
   * failing from the very first alive on is measured too. Without members it sends nothing, and
   * the next run starts afresh (its channels are announced by their `join`s).
   */
  beat(hasMembers: boolean, publish: () => Promise<boolean>): void {
    if (!hasMembers) {
      this.lastSent = undefined;
      return;
    }
    this.lastSent ??= this.clock.now();
    void publish().then((sent) => {
      if (sent && !this.stopped) this.aliveSent(this.clock.now());
    });
  }

  /** Any `alive` (this instance's own too) was heard: after a long gap, syncs the followed channels. */
  aliveHeard(): void {
    const now = this.clock.now();
    const previous = this.lastHeard;
    this.lastHeard = Math.max(previous ?? now, now);
    if (previous === undefined || now - previous < this.gapMs) return;
    for (const channel of this.hooks.followed()) this.pending.add(channel);
    this.schedule();
  }

  /** The liveness follow ended (nothing is kept): the next alive heard is a start, not a recovery. */
  notHearing(): void {
    this.lastHeard = undefined;
  }

  /** Cancels a recovery under way and repairs nothing more (shutdown). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private aliveSent(now: number): void {
    const previous = this.lastSent ?? now;
    this.lastSent = Math.max(previous, now);
    if (now - previous < this.gapMs) return;
    for (const channel of [...this.hooks.withMembers()]) this.hooks.restate(channel);
  }

  private get gapMs(): number {
    return this.ttlMs - this.heartbeatMs;
  }

  /** Sends the pending syncs in at most RECOVERY_SLICES slices, the last one within a heartbeat. */
  private schedule(): void {
    if (this.timer !== undefined || this.pending.size === 0) return;
    const slices = Math.min(this.pending.size, RECOVERY_SLICES);
    const perSlice = Math.ceil(this.pending.size / slices);
    const spacing = Math.floor(this.heartbeatMs / slices);
    const tick = (): void => {
      this.timer = undefined;
      let sent = 0;
      for (const channel of this.pending) {
        if (sent === perSlice) break;
        this.pending.delete(channel);
        this.hooks.sync(channel);
        sent += 1;
      }
      if (this.pending.size > 0) {
        this.timer = setTimeout(tick, spacing);
        this.timer.unref();
      }
    };
    tick();
  }
}
