import type { Clock } from '../clock.js';
import type { Action } from './channel-grants.js';
import type { ErrorCode } from '../protocol.js';
import type { ConnectionIdentity, UpgradeAuth } from './upgrade-auth.js';

export type RefreshResult = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * The token side of one authenticated connection: what it may do now, the `refresh` that swaps
 * its token for a newer one of the same `sub`, and the timer that ends it when the token runs out.
 */
export class ConnectionAuth {
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(
    private identity: ConnectionIdentity,
    private readonly auth: UpgradeAuth,
    /** Whose time `exp` is compared with and waited for. */
    private readonly clock: Clock,
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
    this.cancel?.();
    this.cancel = undefined;
  }

  private arm(): void {
    this.cancel?.();
    // The clock's timers do not keep the process alive: the connection does, not its expiry.
    this.cancel = this.clock.schedule(this.identity.closeAt - this.clock.now(), () => {
      if (this.stopped) return;
      if (this.clock.now() >= this.identity.closeAt) this.onExpired();
      else this.arm();
    });
  }
}
