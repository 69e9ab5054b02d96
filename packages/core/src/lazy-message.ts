import { decodeData } from './encoding.js';
import type { Message } from './message-bus.js';

/** Every field of a {@link Message} except `data`, with `dataJson` required: `data` is decoded from it. */
export type LazyMessageFields = Omit<Message, 'data' | 'dataJson'> & { readonly dataJson: string };

/**
 * A {@link Message} for a driver that holds the JSON text of the data: `data` is decoded from
 * `dataJson` on its first read and cached, so a relay that only forwards `dataJson` (the
 * WebSocket server) never parses the message, and a reader that does parses it once.
 *
 * `data` is an own enumerable getter, so spreading the message, `JSON.stringify` and deep
 * equality see it as a plain field. `dataJson` must be JSON the driver encoded or checked itself
 * (for instance `preparePublish`'s `payload`); otherwise reading `data` throws `invalid_data`,
 * far from the driver. A driver that cannot vouch for its bytes decodes eagerly instead.
 */
export function lazyMessage<T = unknown>(fields: LazyMessageFields): Message<T> {
  const { dataJson } = fields;
  let decoded = false;
  let value: T | undefined;
  return {
    id: fields.id,
    channel: fields.channel,
    get data(): T {
      if (!decoded) {
        value = decodeData(dataJson) as T;
        decoded = true;
      }
      return value as T;
    },
    dataJson,
    headers: fields.headers,
    timestamp: fields.timestamp,
    position: fields.position,
    attempt: fields.attempt,
  };
}
