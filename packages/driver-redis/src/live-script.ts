import { createHash } from 'node:crypto';
import { BusError, decodeData, type Message, type PreparedPublish } from '@app/core';
import type { Redis } from 'ioredis';
import { encodeFields } from './entry-codec.js';
import { idTimestamp, ZERO_ID } from './stream-id.js';

/**
 * Stores a message and announces it in one atomic step: reads the id of the stream's newest
 * entry, `XADD`s the new one, then `PUBLISH`es `<new id>\n<previous id>\n<meta>\n<data>` on a
 * pub/sub channel named like the stream key. Because both happen in one script, pub/sub
 * announcements come in stream order, and each one names its predecessor: a subscriber whose
 * last entry is that predecessor knows it missed nothing, and otherwise reads the stream.
 *
 * KEYS[1] stream key. ARGV[1] MAXLEN (0: no trimming), ARGV[2] meta, ARGV[3..] the entry's
 * field/value pairs, with the JSON data at ARGV[6] (see encodeFields).
 */
const PUBLISH_LUA = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local previous = ''
if newest[1] then previous = newest[1][1] end
local id
if ARGV[1] == '0' then
  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
end
redis.call('PUBLISH', KEYS[1], id .. '\\n' .. previous .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[6])
return id
`;

const PUBLISH_SHA = createHash('sha1').update(PUBLISH_LUA).digest('hex');

/** What travels beside the data in an announcement: the message id, and the headers when there are any. */
function encodeMeta(prepared: PreparedPublish): string {
  return JSON.stringify(Object.keys(prepared.headers).length > 0 ? [prepared.id, prepared.headers] : [prepared.id]);
}

/**
 * Runs the publish script: the stored entry's id comes back. `EVALSHA` first; a Redis that does
 * not know the script yet (first use, a restart, `SCRIPT FLUSH`) gets it once with `EVAL`.
 * Replies come in order on one connection, so retried publishes keep their order.
 */
export async function storeAndAnnounce(command: Redis, key: string, maxLen: number, prepared: PreparedPublish): Promise<unknown> {
  const args = [key, String(maxLen), encodeMeta(prepared), ...encodeFields(prepared)];
  try {
    return await command.call('EVALSHA', [PUBLISH_SHA, 1, ...args]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return command.call('EVAL', [PUBLISH_LUA, 1, ...args]);
  }
}

/** One announcement, decoded once for every subscription of its channel on this instance. */
export interface LiveEntry {
  /** The stream id of the entry: its position. */
  readonly streamId: string;
  /** The stream id of the entry before it (`0-0` when the stream was empty). */
  readonly previousId: string;
  /** The message, or why it cannot be one (reported to subscribers, then skipped). */
  readonly message: Message | BusError;
}

function malformed(channel: string, why: string): BusError {
  return new BusError('invalid_data', `a pub/sub announcement on "${channel}" was not written by this bus (${why}); it was ignored`);
}

function decodeMeta(text: string): { id: string; headers: Record<string, string> } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') return undefined;
  const headers: unknown = parsed[1] ?? {};
  if (headers === null || typeof headers !== 'object' || !Object.values(headers).every((value) => typeof value === 'string')) return undefined;
  return { id: parsed[0], headers: headers as Record<string, string> };
}

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Decodes an announcement. Returns undefined for text that is not one at all (someone else's
 * `PUBLISH` on the channel name): it carries no stream id, so it can be neither delivered nor
 * used to detect a gap. The data is checked to be JSON once here and kept as text (`dataJson`).
 */
export function decodeAnnouncement(channel: string, text: string): LiveEntry | BusError {
  const first = text.indexOf('\n');
  const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
  const third = second < 0 ? -1 : text.indexOf('\n', second + 1);
  if (third < 0) return malformed(channel, 'not four lines');
  const streamId = text.slice(0, first);
  const previous = text.slice(first + 1, second);
  if (!STREAM_ID.test(streamId) || (previous !== '' && !STREAM_ID.test(previous))) return malformed(channel, 'no stream ids');
  const meta = decodeMeta(text.slice(second + 1, third));
  if (meta === undefined) return malformed(channel, 'no message id');
  const dataJson = text.slice(third + 1);
  let message: Message | BusError;
  try {
    const data = decodeData(dataJson);
    message = { id: meta.id, channel, data, dataJson, headers: meta.headers, timestamp: idTimestamp(streamId), position: streamId, attempt: 1 };
  } catch (error) {
    message = new BusError('invalid_data', `entry ${streamId} on "${channel}": the data is not JSON; it was skipped`, { cause: error });
  }
  return { streamId, previousId: previous === '' ? ZERO_ID : previous, message };
}
