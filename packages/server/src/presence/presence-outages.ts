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
 * this instance's clock. Neither side keeps anything per remote incarnation or channel, so the
 * cost does not grow with the number of instances or with the length of the outage.
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

  constructor(
    private readonly ttlMs: number,
    private readonly heartbeatMs: number,
    private readonly hooks: OutageHooks,
  ) {}

  /** An `alive` of this instance was published at `now`: after a long silence, restates its channels. */
  aliveSent(now: number): void {
    const previous = this.lastSent ?? now;
    this.lastSent = Math.max(previous, now);
    if (now - previous < this.gapMs) return;
    for (const channel of [...this.hooks.withMembers()]) this.hooks.restate(channel);
  }

  /**
   * An `alive` is about to be published at `now`. The first of a run of them is the baseline, as
   * if it had succeeded: this instance's `join`s went out just before, so a run of failures from
   * the very first alive on is measured from here too.
   */
  aliveSending(now: number): void {
    this.lastSent ??= now;
  }

  /**
   * This instance sends no `alive` now (no local members): the next one starts afresh, as its
   * channels were just announced by their `join`s (a failed one is repaired by PresenceRepairs).
   */
  notSending(): void {
    this.lastSent = undefined;
  }

  /** Any `alive` (this instance's own too) was heard at `now`: after a long gap, syncs the followed channels. */
  aliveHeard(now: number): void {
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

  /** Cancels a recovery under way (shutdown). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
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
