/**
 * The last `size` message keys delivered to the app, in a ring with a set beside it: O(1) per
 * message and bounded memory. A message delivered again (a publish retried after its ack was
 * lost, stored twice under the same id) is recognised while its first copy is in the window.
 */
export class DedupeWindow {
  private readonly ring: (string | undefined)[];
  private readonly keys = new Set<string>();
  private next = 0;

  constructor(private readonly size: number) {
    this.ring = new Array<string | undefined>(size);
  }

  /** True when `key` is in the window; otherwise remembers it (forgetting the oldest) and returns false. */
  seen(key: string): boolean {
    if (this.size === 0) return false;
    if (this.keys.has(key)) return true;
    const old = this.ring[this.next];
    if (old !== undefined) this.keys.delete(old);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.size;
    this.keys.add(key);
    return false;
  }
}
