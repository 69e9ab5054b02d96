import type { Duplex } from 'node:stream';
import { APP_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from './token-extraction.js';
import type { TokenErrorReason } from './token-error.js';

/**
 * Answers a refused upgrade with 401 and a JSON body, before any WebSocket exists, so a client
 * (or the load balancer) sees why without speaking WebSocket. The message comes from TokenError
 * or the grants parser, which never include the token.
 */
export function refuseUnauthorized(socket: Duplex, reason: TokenErrorReason, message: string): void {
  const body = JSON.stringify({ error: reason, message });
  socket.end(
    'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json\r\n' +
      `WWW-Authenticate: Bearer error="invalid_token"\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
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
