/** Called when a user becomes present (`true`) or stops being present (`false`) on the channel. */
export type MemberChange = (user: string, present: boolean) => void;

/**
 * The users present on one channel across every instance, each listed once: per user, the
 * number of sources that list it (this instance's connections count as one source, each remote
 * incarnation as one). A user is present while that number is above zero, so a user connected
 * to two instances, or listed by an instance and by its restarted self, is one member.
 */
export class MemberSet {
  private readonly sources = new Map<string, number>();

  constructor(private readonly changed: MemberChange) {}

  get size(): number {
    return this.sources.size;
  }

  add(user: string): void {
    const count = this.sources.get(user) ?? 0;
    this.sources.set(user, count + 1);
    if (count === 0) this.changed(user, true);
  }

  remove(user: string): void {
    const count = this.sources.get(user);
    if (count === undefined) return;
    if (count > 1) {
      this.sources.set(user, count - 1);
      return;
    }
    this.sources.delete(user);
    this.changed(user, false);
  }

  /** At most `max` members, in no particular order, and whether some were left out. */
  list(max: number): { readonly users: string[]; readonly truncated: boolean } {
    const users: string[] = [];
    for (const user of this.sources.keys()) {
      if (users.length === max) return { users, truncated: true };
      users.push(user);
    }
    return { users, truncated: false };
  }
}
