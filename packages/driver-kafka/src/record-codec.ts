import { BusError, channelNamespace, channelProblem, decodeData, type Message, type PreparedPublish } from '@app/core';
import type { IHeaders, KafkaMessage, Message as KafkaRecord } from 'kafkajs';
import { formatPosition } from './position.js';

/** CloudEvents Kafka binary binding header names. */
export const CE_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  contentType: 'content-type',
} as const;

/**
 * User headers whose names would collide with CloudEvents headers (or look escaped) travel
 * with this prefix added, and lose it again on the way in.
 */
export const ESCAPE_PREFIX = 'x-bus-';

function needsEscape(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('ce_') || lower === CE_HEADERS.contentType || name.startsWith(ESCAPE_PREFIX);
}

/** What CloudEvents attributes a published record carries besides its id and time. */
export interface CloudEventsSource {
  readonly source: string;
  readonly type: string;
}

/**
 * The Kafka record for a checked publish: key = channel, JSON value, CloudEvents headers, and
 * the channel's partition (picked by the caller, so the publisher can batch per broker).
 */
export function encodeRecord(prepared: PreparedPublish, partition: number, ce: CloudEventsSource, now: number): KafkaRecord & { partition: number } {
  const headers: IHeaders = {
    [CE_HEADERS.specversion]: '1.0',
    [CE_HEADERS.id]: prepared.id,
    [CE_HEADERS.source]: ce.source,
    [CE_HEADERS.type]: ce.type,
    [CE_HEADERS.time]: new Date(now).toISOString(),
    [CE_HEADERS.contentType]: 'application/json',
  };
  for (const [name, value] of Object.entries(prepared.headers)) {
    headers[needsEscape(name) ? `${ESCAPE_PREFIX}${name}` : name] = value;
  }
  return { key: prepared.channel, value: prepared.payload, headers, timestamp: String(now), partition };
}

/** A record decoded into a message, or why it could not be. */
export type DecodedRecord =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly error: BusError; readonly channel: string | undefined };

function headerText(value: IHeaders[string]): string | undefined {
  const single = Array.isArray(value) ? value[value.length - 1] : value;
  if (single === undefined) return undefined;
  return typeof single === 'string' ? single : single.toString('utf8');
}

/**
 * Why a record read from `topic` cannot be delivered by its key: no key, not a channel, or a
 * channel that maps to another topic. Undefined when the key is a channel of `topic`.
 */
export function keyError(topic: string, partition: number, record: KafkaMessage, key: string | undefined, topicOf: (channel: string) => string): BusError | undefined {
  const keyProblem = key === undefined ? 'it has no key' : channelProblem(key);
  if (keyProblem !== undefined || key === undefined) {
    return new BusError('invalid_channel', `record ${topic}/${partition}@${record.offset} skipped: its key is not a channel (${keyProblem})`);
  }
  const expected = topicOf(key);
  if (expected !== topic) {
    return new BusError(
      'invalid_channel',
      `record ${topic}/${partition}@${record.offset} skipped: channel "${key}" belongs to topic "${expected}" (namespace "${channelNamespace(key)}")`,
    );
  }
  return undefined;
}

/**
 * Decodes a record of `topic` whose key is `channel`, already known to be a channel of that
 * topic. The value is parsed once: `data` for handlers, and the same text as `dataJson` for
 * relays. Records of other Kafka clients work too: no headers needed, the id then comes from
 * topic, partition and offset.
 */
export function decodeRecordAs(topic: string, partition: number, record: KafkaMessage, channel: string): DecodedRecord {
  let data: unknown;
  let dataJson: string;
  try {
    if (record.value === null) throw new BusError('invalid_data', 'it has no value');
    dataJson = record.value.toString('utf8');
    data = decodeData(dataJson);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, channel, error: new BusError('invalid_data', `record ${topic}/${partition}@${record.offset} on "${channel}" skipped: ${why}`, { cause: error }) };
  }
  const headers: Record<string, string> = {};
  let id: string | undefined;
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    // Decided by name first: the CloudEvents headers other than the id are not turned into text.
    if (name === CE_HEADERS.id) id = headerText(value);
    else if (name.startsWith(ESCAPE_PREFIX)) {
      const text = headerText(value);
      if (text !== undefined) headers[name.slice(ESCAPE_PREFIX.length)] = text;
    } else if (!needsEscape(name)) {
      const text = headerText(value);
      if (text !== undefined) headers[name] = text;
    }
  }
  const timestamp = Number(record.timestamp);
  const message: Message = {
    id: id !== undefined && id.length > 0 ? id : `kafka:${topic}:${partition}:${record.offset}`,
    channel,
    data,
    dataJson,
    headers,
    timestamp: Number.isFinite(timestamp) && timestamp > 0 ? timestamp : Date.now(),
    position: formatPosition(topic, partition, record.offset),
    attempt: 1,
  };
  return { ok: true, message };
}

/**
 * Decodes a record read from `topic`. `topicOf` maps a channel to its topic, so a key that
 * belongs elsewhere is refused rather than silently ignored.
 */
export function decodeRecord(topic: string, partition: number, record: KafkaMessage, topicOf: (channel: string) => string): DecodedRecord {
  const key = record.key?.toString('utf8');
  const error = keyError(topic, partition, record, key, topicOf);
  if (error !== undefined || key === undefined) return { ok: false, channel: undefined, error: error ?? new BusError('invalid_channel', 'no key') };
  return decodeRecordAs(topic, partition, record, key);
}
