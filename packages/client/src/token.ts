/** When the JWT expires, in ms since the epoch, read from its payload without verifying; undefined without `exp`. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp: unknown = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    // Not a JWT the client can read: the server judges it; the client just cannot plan a refresh.
    return undefined;
  }
}

/**
 * The token the client connects and refreshes with: the fixed `token`, or what `getToken()`
 * last gave, fetched again when it is within the refresh lead of `exp` or was refused.
 */
export class TokenSource {
  private held: string | undefined;
  private calls = 0;
  /** The latest `getToken()` call whose token is held: a slow earlier call must not replace a newer token. */
  private answered = 0;

  constructor(
    token: string | undefined,
    private readonly getToken: (() => string | Promise<string>) | undefined,
    private readonly leadMs: number,
  ) {
    this.held = token;
  }

  /** True when new tokens can be had (`getToken` was given). */
  get renewable(): boolean {
    return this.getToken !== undefined;
  }

  /** The token for a new connection: the held one while it is good past the lead, else a new one from `getToken`. */
  async forConnect(): Promise<string | undefined> {
    const held = this.held;
    if (this.getToken === undefined) return held;
    const exp = held === undefined ? 0 : tokenExpiry(held);
    if (held !== undefined && (exp === undefined || exp - this.leadMs > Date.now())) return held;
    return this.fresh();
  }

  /** Calls `getToken()` and holds what it gives (unless a later call has answered first). */
  async fresh(): Promise<string> {
    const call = ++this.calls;
    const token = await (this.getToken as () => string | Promise<string>)();
    if (typeof token !== 'string' || token === '') throw new Error('getToken() gave no token');
    if (call > this.answered) {
      this.answered = call;
      this.held = token;
    }
    return token;
  }

  /** Forgets the held token (refused, or expired with close 4001), so the next connection gets a new one. */
  invalidate(): void {
    if (this.getToken !== undefined) this.held = undefined;
  }

  /** The ms until the held token should be refreshed, undefined when there is nothing to plan. */
  refreshDelay(): number | undefined {
    if (this.getToken === undefined || this.held === undefined) return undefined;
    const exp = tokenExpiry(this.held);
    if (exp === undefined) return undefined;
    const left = exp - Date.now();
    // The lead before exp, but never before half the time left: a token that lives less than
    // twice the lead is refreshed halfway, not at once, so short-lived tokens make no refresh loop.
    // Capped at setTimeout's longest delay (about 24.8 days); a longer one would fire at once.
    return Math.min(2_147_483_647, Math.max(1000, left - this.leadMs, left / 2));
  }
}
