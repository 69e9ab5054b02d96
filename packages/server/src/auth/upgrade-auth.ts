import type { IncomingMessage } from 'node:http';
import { BusError, type Env } from '@app/core';
import { checkAuthMode } from './auth-mode.js';
import { grantsFor, parseChannelGrants, parseDefaultChannelGrants, type ChannelAccess, type ChannelGrants } from './channel-grants.js';
import { isTokenError, type TokenErrorReason } from './token-error.js';
import { tokenFromRequest } from './token-extraction.js';
import { loadAuthSettings } from './token-settings.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/** `AUTH_DEFAULT_CHANNELS`, documented next to `AUTH_SETTINGS` for `--help`. */
export const DEFAULT_CHANNELS_SETTING = {
  env: 'AUTH_DEFAULT_CHANNELS',
  default: '',
  description: 'JSON grants for tokens without a "channels" claim, e.g. {"lobby":["subscribe"],"user:{sub}":["subscribe","publish"]}; unset: none.',
} as const;

/** Who an authenticated connection is, and what it may do; fixed for the connection's life. */
export interface ConnectionIdentity {
  readonly sub: string;
  readonly access: ChannelAccess;
  /** When the connection must end unless a refresh came: the token's `exp` plus the clock tolerance, in ms since the epoch. */
  readonly closeAt: number;
}

export type UpgradeVerdict =
  | { readonly ok: true; readonly identity: ConnectionIdentity }
  | { readonly ok: false; readonly reason: TokenErrorReason; readonly message: string };

/** How the server authenticates upgrades: with `auth`, or (none) every client is anonymous. A wrapper, so "no auth" can be registered in a container. */
export interface AuthMode {
  readonly auth?: UpgradeAuth;
}

/**
 * Checks the token of a WebSocket upgrade request and compiles its channel grants. One per server
 * (so one verifier, and a JWKS fetched and cached once), made by {@link loadUpgradeAuth}.
 */
export class UpgradeAuth {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly defaultGrants: ChannelGrants,
    /** `AUTH_CLOCK_TOLERANCE_S` in ms: a connection lives this long past its token's `exp`. */
    private readonly toleranceMs = 0,
  ) {}

  /** Checks the token an upgrade request carries (header, subprotocol or query). */
  check(request: IncomingMessage): Promise<UpgradeVerdict> {
    const token = tokenFromRequest(request.headers, request.url);
    if (token === undefined) return Promise.resolve({ ok: false, reason: 'missing', message: 'no token was given' });
    return this.verify(token);
  }

  /** Checks one token, as at the upgrade; also what a live connection's `refresh` goes through. */
  async verify(token: string): Promise<UpgradeVerdict> {
    let sub: string;
    let claim: unknown;
    let exp: number;
    try {
      const verified = await this.verifier.verify(token);
      sub = verified.sub;
      exp = verified.exp;
      claim = verified.claims['channels'];
    } catch (error) {
      // The verifier rejects only with TokenError; anything else is a bug and must not pass as "refused".
      if (!isTokenError(error)) throw error;
      return { ok: false, reason: error.reason, message: error.message };
    }
    let grants = this.defaultGrants;
    if (claim !== undefined) {
      try {
        grants = parseChannelGrants(claim, 'the token\'s "channels" claim');
      } catch (error) {
        // The message names the bad entry (cut to 40 characters), never the token.
        return { ok: false, reason: 'invalid_claims', message: error instanceof Error ? error.message : String(error) };
      }
    }
    return { ok: true, identity: { sub, access: grantsFor(grants, sub), closeAt: exp + this.toleranceMs } };
  }
}

/**
 * The server's token check, or `undefined` when no `AUTH_*` key variable is set (anonymous mode).
 * Throws a `BusError` with reason `config` for bad settings, `AUTH_DEFAULT_CHANNELS` included,
 * and where {@link checkAuthMode} refuses (production without a key unless `AUTH=none`).
 */
export function loadUpgradeAuth(env: Env): UpgradeAuth | undefined {
  checkAuthMode(env);
  const settings = loadAuthSettings(env);
  if (settings === undefined) {
    if (env['AUTH_DEFAULT_CHANNELS'] !== undefined && env['AUTH_DEFAULT_CHANNELS'].trim() !== '') {
      throw new BusError('config', 'AUTH_DEFAULT_CHANNELS is set but no token key is: set one of AUTH_SECRET, AUTH_PUBLIC_KEY_FILE, AUTH_JWKS_URL');
    }
    return undefined;
  }
  let defaults: ChannelGrants;
  try {
    defaults = parseDefaultChannelGrants(env['AUTH_DEFAULT_CHANNELS']);
  } catch (error) {
    throw new BusError('config', error instanceof Error ? error.message : String(error), { cause: error });
  }
  return new UpgradeAuth(createTokenVerifier(settings), defaults, settings.clockToleranceS * 1000);
}
