import { BusError, type ReplayStart } from '@app/core';
import type { Redis } from 'ioredis';
import { isNoSuchKeyError } from './map-error.js';
import { parseEntries, parsePairs } from './replies.js';
import { compareIds, parsePosition, ZERO_ID } from './stream-id.js';

/** Where a subscription starts: entries after `afterId`, and how that relates to `from`. */
export interface StartPoint {
  readonly afterId: string;
  readonly replay: ReplayStart;
}

/**
 * The id of the newest entry of a stream, or `0-0` when it is empty or missing. Reading from
 * it delivers every entry added after this call, which is what "live from now" means. An
 * explicit id (never `$`) is what makes later reads lose nothing.
 */
export async function newestId(command: Redis, key: string): Promise<string> {
  const entries = parseEntries(await command.call('XREVRANGE', [key, '+', '-', 'COUNT', 1]), 'XREVRANGE');
  return entries[0] === undefined ? ZERO_ID : parsePosition(entries[0].id);
}

function idField(info: Map<string, unknown>, name: string): string {
  const value = info.get(name);
  if (typeof value !== 'string') throw new BusError('internal', `XINFO STREAM returned no "${name}"`);
  return parsePosition(value);
}

/**
 * Checks a `from` position against what the stream keeps. `exact` when nothing after it was
 * trimmed; `truncated` when entries after it may be gone (delivery then starts at the oldest
 * kept entry); `invalid_position` when it is ahead of anything the stream ever held.
 *
 * Trimming leaves no record of the ids it removed, so a position older than the oldest kept
 * entry counts as truncated whenever anything was removed, even if it was the very last entry
 * removed (nothing lost), and always when the stream was created again since (only `0-0` is
 * exact then). That errs on the side of telling the caller about a possible gap.
 */
export async function replayStart(command: Redis, key: string, from: string): Promise<StartPoint> {
  let reply: unknown;
  try {
    reply = await command.call('XINFO', ['STREAM', key]);
  } catch (error) {
    if (!isNoSuchKeyError(error)) throw error;
    // The stream is gone (expired, deleted, a Redis restart without persistence): nothing is kept.
    return { afterId: from, replay: from === ZERO_ID ? 'exact' : 'truncated' };
  }
  const info = parsePairs(reply, 'XINFO STREAM');
  const lastGenerated = idField(info, 'last-generated-id');
  if (compareIds(from, lastGenerated) > 0) {
    throw new BusError('invalid_position', `position ${from} is ahead of the newest entry of this channel (${lastGenerated})`);
  }
  const length = Number(info.get('length'));
  const added = Number(info.get('entries-added'));
  const removedSome = !(Number.isFinite(length) && Number.isFinite(added) && added === length);
  const first = parseEntries([info.get('first-entry') ?? null], 'XINFO STREAM')[0];
  if (first !== undefined && compareIds(from, parsePosition(first.id)) >= 0) return { afterId: from, replay: 'exact' };
  if (first === undefined && compareIds(from, lastGenerated) === 0) return { afterId: from, replay: 'exact' };
  // Older than every entry of a stream that lost none: `from` belongs to an earlier stream under
  // this key (deleted, or a Redis restart without persistence), whose later entries are gone.
  return { afterId: from, replay: removedSome || from !== ZERO_ID ? 'truncated' : 'exact' };
}
