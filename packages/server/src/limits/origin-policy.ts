import { BusError, envList, envString, type Env } from '@app/core';
import type { UpgradeRefusal } from '../auth/upgrade-response.js';

/** `ALLOWED_ORIGINS`, documented in CONFIG_SETTINGS. */
export const ALLOWED_ORIGINS = 'ALLOWED_ORIGINS';

/** Longest part of a refused `Origin` header echoed back in the refusal message. */
const MAX_ECHOED_ORIGIN = 200;

const EXAMPLE = 'an origin such as https://game.example.com or http://localhost:8080 (scheme://host[:port], nothing after)';

/** Why `entry` is not an origin, or undefined. */
function originProblem(entry: string, url: URL | undefined): string | undefined {
  if (entry.includes('*')) return 'wildcards are not supported: list every origin';
  if (url === undefined) return 'not a URL';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the scheme must be http or https, not ${url.protocol.slice(0, -1)}`;
  if (url.username !== '' || url.password !== '') return 'an origin has no user name or password';
  // A lone trailing "/" (as copied from the address bar) is harmless; anything more never matches an Origin header.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(entry)) return 'an origin has no path, query or fragment';
  return undefined;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * `ALLOWED_ORIGINS` as normalized origins (`new URL(entry).origin`: lowercase scheme and host,
 * default port dropped), or `undefined` when unset (every origin may connect). Throws a `config`
 * `BusError` naming the first bad entry, `*` included: a list that allows everything is no list.
 */
export function parseAllowedOrigins(env: Env): readonly string[] | undefined {
  const raw = envString(env, ALLOWED_ORIGINS);
  if (raw === undefined) return undefined;
  const entries = envList(env, ALLOWED_ORIGINS, []);
  if (entries.length === 0) {
    throw new BusError('config', `${ALLOWED_ORIGINS}=${JSON.stringify(raw)} is not valid: it lists no origin; expected ${EXAMPLE}, comma-separated`);
  }
  return entries.map((entry) => {
    const url = parseUrl(entry);
    const problem = originProblem(entry, url);
    if (problem !== undefined || url === undefined) {
      throw new BusError('config', `${ALLOWED_ORIGINS} entry ${JSON.stringify(entry)} is not valid: ${problem ?? 'not a URL'}; expected ${EXAMPLE}`);
    }
    return url.origin;
  });
}

/** The `Origin` header normalized as {@link parseAllowedOrigins} does, or undefined when it is no http(s) origin (e.g. `null`). */
function normalizeOrigin(origin: string): string | undefined {
  const url = parseUrl(origin);
  return url === undefined || url.origin === 'null' ? undefined : url.origin;
}

/**
 * Which browser pages may open a WebSocket. The `Origin` header is set by browsers and cannot be
 * forged by a page's script, so this stops other sites from using a visitor's browser (and any
 * token it holds) against the server. Non-browser clients send no `Origin`; they are judged by
 * their token alone, since they could claim any origin anyway.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string> | undefined;

  /** @param origins Normalized origins (as {@link parseAllowedOrigins} returns); `undefined`: any origin. */
  constructor(origins: readonly string[] | undefined) {
    // Normalized again so origins handed in as config (not through the environment) compare the same way.
    this.allowed = origins === undefined ? undefined : new Set(origins.map((origin) => normalizeOrigin(origin) ?? origin));
  }

  /** Whether a handshake with this `Origin` header (undefined: none sent) may go on. */
  allows(origin: string | undefined): boolean {
    if (this.allowed === undefined || origin === undefined) return true;
    // The exact header is the common case; parsing is for case and default-port variants.
    if (this.allowed.has(origin)) return true;
    const normalized = normalizeOrigin(origin);
    return normalized !== undefined && this.allowed.has(normalized);
  }
}

/** The 403 answer for a handshake from an origin the list does not hold. */
export function originNotAllowed(origin: string): UpgradeRefusal {
  const shown = origin.length > MAX_ECHOED_ORIGIN ? `${origin.slice(0, MAX_ECHOED_ORIGIN)}...` : origin;
  return {
    status: 403,
    error: 'origin_not_allowed',
    message: `origin ${JSON.stringify(shown)} may not connect: it is not in the server's ${ALLOWED_ORIGINS}`,
  };
}
