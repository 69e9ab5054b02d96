import type { ServerResponse } from 'node:http';
import { API_SECURITY_HEADERS } from './security-headers.js';

/** Extra response headers, by lower-case name. */
export type ExtraHeaders = Readonly<Record<string, string>>;

/**
 * Writes a whole answer. Every HTTP answer of the server goes through here, so each carries the
 * security headers (the API set unless `extra` overrides them, as the demo page does).
 */
export function reply(response: ServerResponse, status: number, contentType: string, body: string, extra: ExtraHeaders = {}): void {
  response.writeHead(status, { ...API_SECURITY_HEADERS, 'content-type': contentType, 'cache-control': 'no-store', ...extra });
  response.end(body);
}

/** A JSON answer; errors use `{error: <code>, message: <text>}`. */
export function replyJson(response: ServerResponse, status: number, body: object, extra: ExtraHeaders = {}): void {
  reply(response, status, 'application/json; charset=utf-8', JSON.stringify(body), extra);
}
