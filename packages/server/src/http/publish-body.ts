import { DEAD_LETTER_HEADERS, channelProblem } from '@app/core';
import { USER_HEADER } from '../auth/user-header.js';

/** Why a body was refused, as the `error` of the 400 answer. */
export type BodyProblemCode = 'invalid_json' | 'invalid_body' | 'invalid_channel' | 'missing_data' | 'invalid_headers' | 'reserved_header';

export type PublishBody =
  | { readonly ok: true; readonly channel: string; readonly data: unknown; readonly headers: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly code: BodyProblemCode; readonly message: string };

const FIELDS = new Set(['channel', 'data', 'headers']);
/** The core's limit on header names (encoding.ts); checked here so the caller gets a 400, not a bus error. */
const MAX_HEADER_NAME_LENGTH = 128;

/**
 * Header names an API caller may not set, compared case-insensitively: the user header is the
 * server's word on who published (set only from a verified token, see user-header.ts), and the
 * dead-letter headers are the driver's word on a failed delivery. Either, forged, would mislead
 * whoever reads the message.
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([USER_HEADER, ...Object.values(DEAD_LETTER_HEADERS)].map((name) => name.toLowerCase()));

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type HeaderCheck = { readonly ok: true; readonly headers: Readonly<Record<string, string>> } | Extract<PublishBody, { ok: false }>;

function problem(code: BodyProblemCode, message: string): Extract<PublishBody, { ok: false }> {
  return { ok: false, code, message };
}

function checkHeaders(headers: unknown): HeaderCheck {
  if (headers === undefined) return { ok: true, headers: {} };
  if (!isPlainObject(headers)) return problem('invalid_headers', 'headers must be an object of string values');
  const result: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH) {
      return problem('invalid_headers', `header names must be 1 to ${MAX_HEADER_NAME_LENGTH} characters long`);
    }
    if (typeof value !== 'string') return problem('invalid_headers', `header ${JSON.stringify(name)} must be a string, got ${value === null ? 'null' : typeof value}`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      return problem('reserved_header', `header ${JSON.stringify(name)} is reserved for the server and cannot be set through the API`);
    }
    result.push([name, value]);
  }
  // fromEntries defines own properties, so even a "__proto__" header stays a header.
  return { ok: true, headers: Object.fromEntries(result) };
}

/**
 * Checks a `POST /api/publish` body: UTF-8 JSON `{channel, data, headers?}` and nothing else, so
 * a misspelt field is an error rather than silently ignored. `data` may be any JSON value,
 * `null` included, but must be there.
 */
export function parsePublishBody(raw: Buffer): PublishBody {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as unknown;
  } catch (error) {
    return problem('invalid_json', `the body is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isPlainObject(value)) return problem('invalid_body', `the body must be a JSON object {channel, data, headers?}, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  const unknown = Object.keys(value).find((field) => !FIELDS.has(field));
  if (unknown !== undefined) return problem('invalid_body', `unknown field ${JSON.stringify(unknown)}: the body takes channel, data and headers`);
  if (!('channel' in value)) return problem('invalid_channel', 'channel is missing');
  const channelIssue = channelProblem(value['channel']);
  if (channelIssue !== undefined) return problem('invalid_channel', channelIssue);
  if (!('data' in value)) return problem('missing_data', 'data is missing (null is allowed)');
  const headers = checkHeaders(value['headers']);
  if (!headers.ok) return headers;
  return { ok: true, channel: String(value['channel']), data: value['data'], headers: headers.headers };
}
