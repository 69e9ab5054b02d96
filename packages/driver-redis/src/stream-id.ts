import { BusError } from '@app/core';

/**
 * Positions are Redis stream entry ids, `<milliseconds>-<sequence>` (e.g. `1700000000000-0`),
 * of the channel's own stream. Kept in canonical form (no leading zeros) so that comparing
 * lengths, then text, orders them without BigInt on the hot path.
 */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_PART = 2n ** 64n - 1n;

/** The smallest id: "from the beginning". */
export const ZERO_ID = '0-0';

/**
 * True when `text` has the shape of a stream id. A cheap check for ids Redis wrote itself (they
 * are canonical already); positions from callers go through {@link parsePosition}.
 */
export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text);
}

/** Parses a `from` position; a malformed one is a `BusError` with reason `invalid_position`. */
export function parsePosition(position: string): string {
  const match = STREAM_ID.exec(position);
  const ms = match?.[1];
  const seq = match?.[2];
  if (ms === undefined || seq === undefined || BigInt(ms) > MAX_PART || BigInt(seq) > MAX_PART) {
    throw new BusError('invalid_position', `"${position.slice(0, 64)}" is not a redis-bus position (expected a stream id such as 1700000000000-0)`);
  }
  return `${BigInt(ms)}-${BigInt(seq)}`;
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two canonical stream ids: negative, zero or positive like `Array.sort`. */
export function compareIds(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return compareDecimal(a.slice(0, dashA), b.slice(0, dashB)) || compareDecimal(a.slice(dashA + 1), b.slice(dashB + 1));
}

/** Milliseconds part of an id: when Redis stored the entry. */
export function idTimestamp(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
