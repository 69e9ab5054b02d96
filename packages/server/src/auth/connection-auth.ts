import type { Action } from './channel-grants.js';
import type { ErrorCode } from '../protocol.js';
import type { ConnectionIdentity, UpgradeAuth } from './upgrade-auth.js';

/** setTimeout's longest delay (about 24.8 days); a later expiry is re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export type RefreshResult = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * The token side of one authenticated connection: what it may do now, the `refresh` that swaps
 * its token for a newer one of the same `sub`, and the timer that ends it when the token runs out.
 */
export class ConnectionAuth {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private identity: ConnectionIdentity,
    private readonly auth: UpgradeAuth,
    /** Called once the token's `exp` plus the tolerance has passed without a refresh. */
    private readonly onExpired: () => void,
  ) {
    this.arm();
  }

  get sub(): string {
    return this.identity.sub;
  }

  allows(channel: string, action: Action): boolean {
    return this.identity.access.allows(channel, action);
  }

  /**
   * Verifies `token` as at the upgrade. A valid token of the same `sub` replaces the grants and
   * the expiry; anything else leaves the current token in place, so a bad refresh costs nothing.
   */
  async refresh(token: string): Promise<RefreshResult> {
    const verdict = await this.auth.verify(token);
    if (!verdict.ok) return { ok: false, code: 'invalid_token', message: `refresh refused (${verdict.reason}): ${verdict.message}; the connection keeps its token` };
    if (verdict.identity.sub !== this.identity.sub) {
      return { ok: false, code: 'sub_mismatch', message: 'the new token is for another "sub"; a connection keeps its user, so it keeps its token' };
    }
    if (this.stopped) return { ok: true };
    this.identity = verdict.identity;
    this.arm();
    return { ok: true };
  }

  /** The connection has ended: no expiry will fire. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const delay = Math.min(Math.max(this.identity.closeAt - Date.now(), 0), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      if (Date.now() >= this.identity.closeAt) this.onExpired();
      else this.arm();
    }, delay);
    // The connection keeps the process busy, not its expiry timer.
    this.timer.unref();
  }
}
