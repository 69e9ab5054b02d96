import type { PresenceMessage } from './presence-messages.js';

/** What the next heartbeat sends again, taken all at once. */
export interface DueRepairs {
  /** Channels whose `sync` failed: the sync again (if still followed). */
  readonly resync: readonly string[];
  /** Channels to restate: this instance's full `state` there (empty for a channel dropped since). */
  readonly restate: readonly string[];
}

/**
 * The presence publishes that failed, to be repaired at the next heartbeat: nothing periodic would
 * repair them otherwise, as no channel is restated on a timer.
 *
 * - A failed `join`, `leave` or `state` on C: this instance's full `state` of C.
 * - A failed `sync` on C: the sync again.
 * - A failed `alive`: a `state` on every channel with local members. If the bus stays down past
 *   the TTL the others drop this instance's users, and idle users send nothing that would list
 *   them again once it is back. (Marked at every failed heartbeat, so a state that fails too is
 *   tried again at the next one, like any failed state.)
 */
export class PresenceRepairs {
  private readonly restate = new Set<string>();
  private readonly resync = new Set<string>();

  /**
   * A publish of `type` failed on the presence channel of `channel` (undefined: the liveness
   * channel); `withMembers` lists the channels with local members, asked only for an `alive`.
   */
  failed(channel: string | undefined, type: PresenceMessage['type'], withMembers: () => Iterable<string>): void {
    if (channel !== undefined) (type === 'sync' ? this.resync : this.restate).add(channel);
    else if (type === 'alive') for (const member of withMembers()) this.restate.add(member);
    // A failed `bye` is repaired by the TTL: this instance is going anyway.
  }

  /** The repairs due now; forgotten here (a repair that fails again is marked again). */
  take(): DueRepairs {
    const due = { resync: [...this.resync], restate: [...this.restate] };
    this.resync.clear();
    this.restate.clear();
    return due;
  }
}
