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
 * - A failed `alive` or `bye`: nothing here. The next alive comes within the TTL; alives failing
 *   for longer are repaired by PresenceOutages once one succeeds, and a lost `bye` by the TTL.
 */
export class PresenceRepairs {
  private readonly restate = new Set<string>();
  private readonly resync = new Set<string>();

  /** A publish of `type` failed on the presence channel of `channel` (undefined: the liveness channel, nothing to mark). */
  failed(channel: string | undefined, type: PresenceMessage['type']): void {
    if (channel !== undefined) (type === 'sync' ? this.resync : this.restate).add(channel);
  }

  /** The repairs due now; forgotten here (a repair that fails again is marked again). */
  take(): DueRepairs {
    const due = { resync: [...this.resync], restate: [...this.restate] };
    this.resync.clear();
    this.restate.clear();
    return due;
  }
}
