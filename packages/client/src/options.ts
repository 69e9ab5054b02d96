import { ClientError } from './client-error.js';
import type { WebSocketConstructor } from './socket.js';

/** Options of `createClient`. Give `url` or `urls`; for a server with auth, `token` or `getToken`. */
export interface ClientOptions {
  /** The server's WebSocket endpoint, e.g. `wss://play.example.com/ws`. */
  readonly url?: string;
  /** Several endpoints (instances, regions): the client starts at the first and moves to the next on every reconnect. */
  readonly urls?: readonly string[];
  /** A fixed JWT. Once it expires the client cannot reconnect: prefer `getToken` for long sessions. Default: none (anonymous). */
  readonly token?: string;
  /**
   * Returns a new JWT. Called for the first connection (unless `token` is given), before the held
   * token's `exp` minus `refreshLeadMs` to refresh the live connection, after close 4001 (token
   * expired) and after a refused handshake. Default: none.
   */
  readonly getToken?: () => string | Promise<string>;
  /** First reconnect delay window, in ms; it doubles per failed attempt (full jitter). Default: 250. */
  readonly backoffBaseMs?: number;
  /** Largest reconnect delay window, in ms. Default: 10000. */
  readonly backoffMaxMs?: number;
  /** Publishes that may wait for a connection; past it `publish` rejects with `queue_full`. Default: 1000. */
  readonly maxQueuedPublishes?: number;
  /** How long a sent publish, `presence` or `refresh` waits for its answer before rejecting with `timeout`, in ms. Default: 10000. */
  readonly ackTimeoutMs?: number;
  /** How long a connection attempt may take until the server's welcome, in ms, before the next is tried. Default: 10000. */
  readonly connectTimeoutMs?: number;
  /** Message ids remembered to drop messages delivered twice. 0 turns de-duplication off. Default: 10000. */
  readonly dedupeWindow?: number;
  /** How long before the token's `exp` to refresh it, in ms (never before half its remaining life). Default: 60000. */
  readonly refreshLeadMs?: number;
  /** The WebSocket constructor. Default: `globalThis.WebSocket` (browsers, Node 22+). */
  readonly WebSocket?: WebSocketConstructor;
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  readonly urls: readonly string[];
  readonly token: string | undefined;
  readonly getToken: (() => string | Promise<string>) | undefined;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxQueuedPublishes: number;
  readonly ackTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly dedupeWindow: number;
  readonly refreshLeadMs: number;
  readonly WebSocket: WebSocketConstructor;
}

function invalid(message: string): ClientError {
  return new ClientError('invalid_options', message);
}

function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw invalid(`${name} must be a number >= 0`);
  return value;
}

/** Checks the options and fills in the defaults; throws a ClientError `invalid_options`. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const urls = options.urls ?? (options.url === undefined ? [] : [options.url]);
  if (urls.length === 0) throw invalid('give "url" or "urls"');
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocket === undefined) throw invalid('no global WebSocket here: pass the "WebSocket" option');
  return {
    urls: [...urls],
    token: options.token,
    getToken: options.getToken,
    backoffBaseMs: count(options.backoffBaseMs, 250, 'backoffBaseMs'),
    backoffMaxMs: count(options.backoffMaxMs, 10_000, 'backoffMaxMs'),
    maxQueuedPublishes: count(options.maxQueuedPublishes, 1000, 'maxQueuedPublishes'),
    ackTimeoutMs: count(options.ackTimeoutMs, 10_000, 'ackTimeoutMs'),
    connectTimeoutMs: count(options.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
    dedupeWindow: count(options.dedupeWindow, 10_000, 'dedupeWindow'),
    refreshLeadMs: count(options.refreshLeadMs, 60_000, 'refreshLeadMs'),
    WebSocket,
  };
}
