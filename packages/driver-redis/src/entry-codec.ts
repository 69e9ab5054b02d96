import { BusError, decodeData, type Message, type PreparedPublish } from '@app/core';
import type { StreamEntry } from './replies.js';
import { idTimestamp } from './stream-id.js';

/**
 * Field names of a stream entry. `data` is the JSON data; `id` the message id; `headers` a JSON
 * object of strings, written only when there are headers. The timestamp is the entry id's
 * milliseconds (Redis's clock), so one clock orders and dates every message.
 */
export const FIELDS = { id: 'id', data: 'data', headers: 'headers' } as const;

/** The field/value list `XADD` writes for a publish; the data must stay the fourth value: the publish script announces it as ARGV[6]. */
export function encodeFields(prepared: PreparedPublish): string[] {
  const fields: string[] = [FIELDS.id, prepared.id, FIELDS.data, prepared.payload];
  if (Object.keys(prepared.headers).length > 0) fields.push(FIELDS.headers, JSON.stringify(prepared.headers));
  return fields;
}

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let index = 0; index + 1 < fields.length; index += 2) if (fields[index] === name) return fields[index + 1];
  return undefined;
}

function decodeHeaders(text: string | undefined, streamId: string): Record<string, string> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BusError('invalid_data', `entry ${streamId}: the "headers" field is not JSON`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((value) => typeof value === 'string')) {
    throw new BusError('invalid_data', `entry ${streamId}: the "headers" field is not an object of strings`);
  }
  return parsed as Record<string, string>;
}

/**
 * Turns a stream entry into a message. Entries written by other tools (`redis-cli XADD`) work
 * when they have a JSON `data` field: a missing `id` becomes the stream id. Anything else throws
 * `invalid_data`, which the caller reports through `onError`.
 */
export function decodeEntry(channel: string, entry: StreamEntry, attempt: number): Message {
  const payload = fieldValue(entry.fields, FIELDS.data);
  if (payload === undefined) {
    throw new BusError('invalid_data', `entry ${entry.id} on "${channel}" has no "data" field; it was skipped`);
  }
  let data: unknown;
  try {
    data = decodeData(payload);
  } catch (error) {
    throw new BusError('invalid_data', `entry ${entry.id} on "${channel}": the "data" field is not JSON; it was skipped`, { cause: error });
  }
  const id = fieldValue(entry.fields, FIELDS.id);
  return {
    id: id === undefined || id === '' ? entry.id : id,
    channel,
    data,
    dataJson: payload,
    headers: decodeHeaders(fieldValue(entry.fields, FIELDS.headers), entry.id),
    timestamp: idTimestamp(entry.id),
    position: entry.id,
    attempt,
  };
}
