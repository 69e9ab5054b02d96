import { BusError } from '@app/core';

/** One stream entry as Redis returns it: the id and a flat field/value list. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly string[];
}

function fail(what: string): never {
  throw new BusError('internal', `unexpected reply from Redis to ${what}`);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Parses a list of `[id, [field, value, ...]]`; deleted entries (`[id, nil]`) are skipped. */
export function parseEntries(reply: unknown, what: string): StreamEntry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply)) fail(what);
  const entries: StreamEntry[] = [];
  for (const item of reply as unknown[]) {
    if (item === null) continue;
    if (!Array.isArray(item) || typeof item[0] !== 'string') fail(what);
    const fields: unknown = item[1];
    if (fields === null) continue;
    if (!isStringArray(fields)) fail(what);
    entries.push({ id: item[0], fields });
  }
  return entries;
}

/** Parses an `XREAD`/`XREADGROUP` reply: entries per stream key (empty on timeout). */
export function parseStreams(reply: unknown, what: string): Map<string, StreamEntry[]> {
  const result = new Map<string, StreamEntry[]>();
  if (reply === null) return result;
  if (!Array.isArray(reply)) fail(what);
  for (const stream of reply as unknown[]) {
    if (!Array.isArray(stream) || typeof stream[0] !== 'string') fail(what);
    result.set(stream[0], parseEntries(stream[1], what));
  }
  return result;
}

/** Parses a flat `[name, value, name, value...]` reply, like `XINFO STREAM`'s, into a map. */
export function parsePairs(reply: unknown, what: string): Map<string, unknown> {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) fail(what);
  const result = new Map<string, unknown>();
  for (let index = 0; index < reply.length; index += 2) {
    const name: unknown = reply[index];
    if (typeof name !== 'string') fail(what);
    result.set(name, reply[index + 1]);
  }
  return result;
}

/** Parses `XAUTOCLAIM`: the next cursor and the claimed entries. */
export function parseAutoClaim(reply: unknown): { cursor: string; entries: StreamEntry[] } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') fail('XAUTOCLAIM');
  return { cursor: reply[0], entries: parseEntries(reply[1], 'XAUTOCLAIM') };
}

/** Parses the extended form of `XPENDING key group start end count`: delivery count per id. */
export function parseDeliveryCounts(reply: unknown): Map<string, number> {
  if (!Array.isArray(reply)) fail('XPENDING');
  const counts = new Map<string, number>();
  for (const item of reply as unknown[]) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || typeof item[3] !== 'number') fail('XPENDING');
    counts.set(item[0], item[3]);
  }
  return counts;
}
