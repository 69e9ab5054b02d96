import { ClientError } from './client-error.js';
import type { Requests } from './requests.js';
import type { TokenSource } from './token.js';

/**
 * Refreshes the live connection's token before it expires (`refresh` frame), again and again
 * for each new token. A failed `getToken()` is retried after `retryMs`; a refused token is
 * dropped, and the server's close 4001 at `exp` then leads to a reconnect with a new one.
 */
export class TokenRefresh {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly tokens: TokenSource,
    private readonly requests: Requests,
    private readonly retryMs: number,
    private readonly report: (error: ClientError) => void,
  ) {}

  /** Plans the next refresh on the connection `send` writes to, for as long as `current()` says it is the live one. */
  start(send: (text: string) => void, current: () => boolean): void {
    this.stop();
    const delay = this.tokens.refreshDelay();
    if (delay !== undefined) this.timer = setTimeout(() => void this.run(send, current), delay);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async run(send: (text: string) => void, current: () => boolean): Promise<void> {
    let token: string;
    try {
      token = await this.tokens.fresh();
    } catch (error) {
      if (!current()) return;
      this.report(new ClientError('token_unavailable', `getToken() failed: ${String(error)}`, undefined, error));
      this.timer = setTimeout(() => void this.run(send, current), this.retryMs);
      return;
    }
    // A reconnect in between uses the new token anyway.
    if (!current()) return;
    try {
      await this.requests.request({ type: 'refresh', token }, undefined, send);
      if (current()) this.start(send, current);
    } catch (error) {
      const code = (error as ClientError).code;
      if (code === 'invalid_token' || code === 'sub_mismatch') this.tokens.invalidate();
      if (code !== 'auth_disabled' && code !== 'disconnected' && code !== 'closed') this.report(error as ClientError);
    }
  }
}
