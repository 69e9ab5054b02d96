/** How long the channels of a silenced incarnation are remembered, in TTLs from its last drop. */
export const SILENCED_MEMORY_TTLS = 3;
/** Most (incarnation, channel) pairs remembered in all: bounds the memory a storm of silent incarnations can take. */
export const MAX_SILENCED_PAIRS = 10_000;

interface Silenced {
  readonly channels: Set<string>;
  /** Forgotten at this time (this instance's clock). */
  until: number;
}

/**
 * The channels on which this instance dropped a remote incarnation's view because it heard
 * nothing of it for the TTL. Silence is not always death: this instance's own link to the bus may
 * have been down (it heard nobody), or the sender's. If the incarnation is heard from again, the
 * hub sends `sync` on those channels, and the `state`s answering it rebuild the views; without
 * that, an idle sender's users would never be listed again, as nothing periodic carries them.
 *
 * Only incarnations dropped for silence are remembered, so an `alive` from a merely new
 * incarnation (a deploy) causes no sync. Bounded: an entry is forgotten
 * {@link SILENCED_MEMORY_TTLS} TTLs after its last drop (a dead instance is not heard from again),
 * and at most {@link MAX_SILENCED_PAIRS} pairs are kept, the incarnations remembered first going first.
 */
export class SilencedViews {
  private readonly byInstance = new Map<string, Silenced>();
  private pairs = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxPairs: number = MAX_SILENCED_PAIRS,
  ) {}

  /** (incarnation, channel) pairs remembered now. */
  get size(): number {
    return this.pairs;
  }

  /** `instance`'s view on `channel` was dropped for silence at `now`. */
  remember(instance: string, channel: string, now: number): void {
    let entry = this.byInstance.get(instance);
    if (entry?.channels.has(channel) !== true) {
      this.makeRoom(instance);
      if (this.pairs >= this.maxPairs) return;
    }
    if (entry === undefined) {
      entry = { channels: new Set(), until: 0 };
      this.byInstance.set(instance, entry);
    }
    if (!entry.channels.has(channel)) {
      entry.channels.add(channel);
      this.pairs += 1;
    }
    entry.until = now + SILENCED_MEMORY_TTLS * this.ttlMs;
  }

  /**
   * `instance` was heard from: the channels it was dropped from (to sync), forgotten now. Empty
   * for an incarnation not remembered; O(1) then, as every `alive` asks.
   */
  recall(instance: string): readonly string[] {
    const entry = this.byInstance.get(instance);
    if (entry === undefined) return [];
    this.forget(instance, entry);
    return [...entry.channels];
  }

  /** Forgets the incarnations remembered for long enough. */
  prune(now: number): void {
    for (const [instance, entry] of this.byInstance) if (entry.until <= now) this.forget(instance, entry);
  }

  /** Forgets the oldest incarnations other than `keep` until one more pair fits. */
  private makeRoom(keep: string): void {
    for (const [instance, entry] of this.byInstance) {
      if (this.pairs < this.maxPairs) return;
      if (instance !== keep) this.forget(instance, entry);
    }
  }

  private forget(instance: string, entry: Silenced): void {
    this.byInstance.delete(instance);
    this.pairs -= entry.channels.size;
  }
}
