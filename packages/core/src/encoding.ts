import { randomUUID } from 'node:crypto';
import { validateChannel } from './channel.js';
import { BusError, describeError } from './errors.js';
import type { BusLimits, PublishOptions } from './message-bus.js';

/** Default for every driver's `maxPayloadBytes`: 1 MiB, Kafka's default record limit. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

const MAX_HEADER_NAME_LENGTH = 128;

/**
 * A new random UUID as a flat string. `randomUUID()` joins its 20 parts with `+`, so V8 keeps
 * it as a tree of about 18 cons strings: 490 heap bytes per id instead of 67. Ids live as long
 * as their message (the memory bus keeps up to 100,000 for replay), so they are copied flat.
 */
function newMessageId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

/** A publish call checked and encoded, ready for a driver to send. */
export interface PreparedPublish {
  readonly channel: string;
  readonly id: string;
  /** The data as JSON text. */
  readonly payload: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes counted against `maxPayloadBytes`. */
  readonly size: number;
  /** `PublishOptions.ephemeral`: the driver need not keep it for replay (false when not given). */
  readonly ephemeral: boolean;
}

/**
 * Validates and encodes a publish call the same way for every driver: channel rules, JSON data,
 * string headers, and the size limit. Returns the {@link PreparedPublish}: the JSON `payload` to
 * send, a validated copy of the headers (`{}` when none), the id (the caller's, or a new UUID)
 * and the `size` counted against `maxPayloadBytes`, and `ephemeral`. Throws a `BusError` for the
 * first problem found: `invalid_channel`, `invalid_data`, `invalid_headers`, `invalid_options` (a
 * bad id, or an `ephemeral` that is not a boolean) or `payload_too_large`.
 */
export function preparePublish(channel: string, data: unknown, options: PublishOptions | undefined, limits: BusLimits): PreparedPublish {
  validateChannel(channel);
  const payload = encodeData(data);
  const headers = validateHeaders(options?.headers);
  const id = options?.id ?? newMessageId();
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_HEADER_NAME_LENGTH) {
    throw new BusError('invalid_options', `message id must be a non-empty string of at most ${MAX_HEADER_NAME_LENGTH} characters`);
  }
  const ephemeral: unknown = options?.ephemeral === undefined ? false : options.ephemeral;
  // Checked, not coerced: `ephemeral: 'no'` would otherwise drop a message from history.
  if (typeof ephemeral !== 'boolean') throw new BusError('invalid_options', `ephemeral must be a boolean, got ${typeof ephemeral}`);
  let size = Buffer.byteLength(payload);
  for (const [name, value] of Object.entries(headers)) size += Buffer.byteLength(name) + Buffer.byteLength(value);
  if (size > limits.maxPayloadBytes) {
    throw new BusError('payload_too_large', `message is ${size} bytes; the limit is ${limits.maxPayloadBytes} bytes`);
  }
  return { channel, id, payload, headers, size, ephemeral };
}

/** JSON-encodes `data`, or throws `invalid_data` for values JSON cannot carry. */
export function encodeData(data: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new BusError('invalid_data', `data cannot be encoded as JSON: ${describeError(error)}`, { cause: error });
  }
  if (text === undefined) {
    throw new BusError('invalid_data', `data cannot be encoded as JSON: ${typeof data} has no JSON form`);
  }
  return text;
}

/** Parses JSON written by {@link encodeData}; throws `invalid_data` for anything else. */
export function decodeData(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BusError('invalid_data', `message body is not JSON: ${describeError(error)}`, { cause: error });
  }
}

function validateHeaders(headers: unknown): Readonly<Record<string, string>> {
  if (headers === undefined) return {};
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new BusError('invalid_headers', 'headers must be an object of string values');
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH) {
      throw new BusError('invalid_headers', `header names must be 1 to ${MAX_HEADER_NAME_LENGTH} characters long`);
    }
    if (typeof value !== 'string') {
      throw new BusError('invalid_headers', `header "${name}" must be a string, got ${typeof value}`);
    }
    result[name] = value;
  }
  return result;
}
