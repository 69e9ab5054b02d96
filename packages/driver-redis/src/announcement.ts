import { BusError, decodeData, type Message } from '@app/core';
import { idTimestamp, isStreamId, ZERO_ID } from './stream-id.js';

/**
 * Announcements are what the publish script (publish-script.ts) sends on a channel's pub/sub
 * name: `<entry id>\n<previous entry id>\n<meta>\n<data>`, where meta is the JSON array
 * `[message id]` or `[message id, headers]` and data is the JSON text, last so it may hold anything.
 * An ephemeral message, which has no entry, names its predecessor on both of the first two lines
 * (a stored entry's id is always above its predecessor's, so the two never match otherwise) and
 * has meta `[message id, headers, Redis's time in ms]`.
 */

/** One announcement, decoded once for every subscription of its channel on this instance. */
export interface LiveEntry {
  /** The stream id of the entry: its position. For an ephemeral message, `previousId`. */
  readonly streamId: string;
  /** The stream id of the entry before it (`0-0` when the stream was empty). */
  readonly previousId: string;
  /** Not stored: delivered right after `previousId`, and leaves a subscription's last id as it was. */
  readonly ephemeral: boolean;
  /** The message, or why it cannot be one (reported to subscribers, then skipped). */
  readonly message: Message | BusError;
}

function malformed(channel: string, why: string): BusError {
  return new BusError('invalid_data', `a pub/sub announcement on "${channel}" was not written by this bus (${why}); it was ignored`);
}

function decodeMeta(text: string): { id: string; headers: Record<string, string>; time: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') return undefined;
  const headers: unknown = parsed[1] ?? {};
  if (headers === null || typeof headers !== 'object' || !Object.values(headers).every((value) => typeof value === 'string')) return undefined;
  return { id: parsed[0], headers: headers as Record<string, string>, time: parsed[2] };
}

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
  if (!isStreamId(streamId) || (previous !== '' && !isStreamId(previous))) return malformed(channel, 'no stream ids');
  const meta = decodeMeta(text.slice(second + 1, third));
  if (meta === undefined) return malformed(channel, 'no message id');
  const ephemeral = streamId === previous;
  if (ephemeral && (typeof meta.time !== 'number' || !Number.isFinite(meta.time))) return malformed(channel, 'an ephemeral message without a time');
  const dataJson = text.slice(third + 1);
  let message: Message | BusError;
  try {
    const data = decodeData(dataJson);
    const timestamp = ephemeral ? (meta.time as number) : idTimestamp(streamId);
    message = { id: meta.id, channel, data, dataJson, headers: meta.headers, timestamp, position: streamId, attempt: 1 };
  } catch (error) {
    message = new BusError('invalid_data', `${ephemeral ? 'an ephemeral message' : `entry ${streamId}`} on "${channel}": the data is not JSON; it was skipped`, { cause: error });
  }
  return { streamId, previousId: previous === '' ? ZERO_ID : previous, ephemeral, message };
}
