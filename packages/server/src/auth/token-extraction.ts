import type { IncomingHttpHeaders } from 'node:http';

/**
 * Prefix of the `Sec-WebSocket-Protocol` entry that carries a token. Browsers cannot set headers
 * on a WebSocket, but they can offer subprotocols, and a JWT (base64url segments and dots) is a
 * valid protocol token. A browser client connects with:
 *
 * ```ts
 * new WebSocket(url, ['realtime-bus', 'bearer.' + token]);
 * ```
 *
 * which sends `Sec-WebSocket-Protocol: realtime-bus, bearer.<token>`. The server must then select
 * `realtime-bus` (never the token entry: the selected protocol is echoed in the response and
 * visible to scripts), because a browser fails the connection when it offered protocols and the
 * server selects none.
 */
export const TOKEN_PROTOCOL_PREFIX = 'bearer.';

/** The application subprotocol a browser offers next to the token entry; the one to select. */
export const APP_PROTOCOL = 'realtime-bus';

/** Value of `?token=` in a request URL; the query form for clients that can do nothing else. */
export const TOKEN_QUERY_PARAMETER = 'token';

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function fromAuthorization(headers: IncomingHttpHeaders): string | undefined {
  // The scheme is case-insensitive (RFC 7235); anything but Bearer is not ours to read.
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

function fromProtocols(headers: IncomingHttpHeaders): string | undefined {
  const offered = headerValues(headers['sec-websocket-protocol']).flatMap((value) => value.split(','));
  for (const entry of offered) {
    const protocol = entry.trim();
    if (protocol.startsWith(TOKEN_PROTOCOL_PREFIX) && protocol.length > TOKEN_PROTOCOL_PREFIX.length) {
      return protocol.slice(TOKEN_PROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}

function fromQuery(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    // The base only makes a path-only `req.url` parseable; it is never used.
    const value = new URL(url, 'http://localhost').searchParams.get(TOKEN_QUERY_PARAMETER);
    return value === null || value.trim() === '' ? undefined : value.trim();
  } catch {
    return undefined;
  }
}

/**
 * The token a WebSocket upgrade request carries, or `undefined` when it carries none. Looked for,
 * first found wins: `Authorization: Bearer <token>` (servers and native clients), a
 * `Sec-WebSocket-Protocol` entry `bearer.<token>` (browsers; see {@link TOKEN_PROTOCOL_PREFIX}),
 * then `?token=<token>` in `url` (a path with query such as `req.url`, or an absolute URL).
 * Nothing is verified here; an empty value counts as absent. Prefer the first two: a query
 * string ends up in proxy and access logs (see {@link redactTokenFromUrl} for ours).
 */
export function tokenFromRequest(headers: IncomingHttpHeaders, url: string | undefined): string | undefined {
  return fromAuthorization(headers) ?? fromProtocols(headers) ?? fromQuery(url);
}

/**
 * `url` with the value of every `token` query parameter replaced by `REDACTED`, for logs. Works
 * on path-only and absolute URLs, and on ones `new URL` would refuse, by editing the text rather
 * than re-serializing it, so the rest of the URL is logged exactly as received. The name match
 * is case-insensitive: `?Token=` is not read as a token, but may still be one someone sent.
 */
export function redactTokenFromUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1REDACTED');
}
