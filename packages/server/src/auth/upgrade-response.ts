import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { RAW_SECURITY_HEADER_LINES } from '../http/security-headers.js';
import { APP_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from './token-extraction.js';
import type { TokenErrorReason } from './token-error.js';

/** Why an upgrade is refused, as the JSON answer `{ error, message }` with its status and extra headers. */
export interface UpgradeRefusal {
  readonly status: number;
  /** The stable reason clients branch on; also the `reason` label of `realtime_upgrades_refused_total`. */
  readonly error: string;
  /** For humans; never a token. */
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Writes a whole HTTP response on an upgrade socket and ends it: the one place that writes the
 * status line and headers of every refused upgrade (no `http.ServerResponse` exists there).
 */
export function endUpgradeSocket(socket: Duplex, status: number, contentType: string, body: string, headers: Readonly<Record<string, string>> = {}): void {
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: ${contentType}\r\n${RAW_SECURITY_HEADER_LINES}${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Answers a refused upgrade with its status and a JSON body, before any WebSocket exists, so a
 * client (or the load balancer) sees why without speaking WebSocket.
 */
export function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  endUpgradeSocket(socket, refusal.status, 'application/json', JSON.stringify({ error: refusal.error, message: refusal.message }), refusal.headers);
}

/**
 * Answers an upgrade refused for its token with 401. The message comes from TokenError or the
 * grants parser, which never include the token.
 */
export function refuseUnauthorized(socket: Duplex, reason: TokenErrorReason, message: string): void {
  refuseUpgrade(socket, { status: 401, error: reason, message, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
}

/**
 * ws's `handleProtocols`. ws's default selects the first offered entry, which could echo a
 * `bearer.<token>` entry in the response, where scripts and proxies can read it. So: when a token
 * entry was offered, `realtime-bus` (the browser form `['realtime-bus', 'bearer.' + token]`);
 * otherwise the first offered entry that is not a token one, as ws would; else none.
 */
export function selectProtocol(protocols: ReadonlySet<string>): string | false {
  const tokenOffered = [...protocols].some((protocol) => protocol.startsWith(TOKEN_PROTOCOL_PREFIX));
  if (tokenOffered && protocols.has(APP_PROTOCOL)) return APP_PROTOCOL;
  for (const protocol of protocols) if (!protocol.startsWith(TOKEN_PROTOCOL_PREFIX)) return protocol;
  return false;
}
