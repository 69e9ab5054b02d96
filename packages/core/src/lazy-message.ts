import { decodeData } from './encoding.js';
import type { Message } from './message-bus.js';

/** Every field of a {@link Message} except `data`, with `dataJson` required: `data` is decoded from it. */
export type LazyMessageFields = Omit<Message, 'data' | 'dataJson'> & { readonly dataJson: string };

/** The one getter every lazy message's `data` property shares (set in the class's static block). */
let readData: (this: LazyMessage) => unknown;

/**
 * A class rather than an object literal with a getter: V8 keeps such a literal in dictionary
 * mode, with a closure and a context per message (about 620 heap bytes and 1.3 µs each, against
 * 107 bytes and 0.25 µs here). The own `data` accessor uses one shared getter, so every instance
 * has the same fast shape; the decoded value lives in private fields, unseen by spreading,
 * `JSON.stringify` and loose deep equality (`toEqual`). Its prototype is this class, not
 * `Object.prototype`: strict comparisons (`toStrictEqual`, `deepStrictEqual`) tell it from a literal.
 */
class LazyMessage implements Message {
  declare readonly id: string;
  declare readonly channel: string;
  declare readonly data: unknown;
  declare readonly dataJson: string;
  declare readonly headers: Readonly<Record<string, string>>;
  declare readonly timestamp: number;
  declare readonly position: string;
  declare readonly attempt: number;
  #decoded = false;
  #value: unknown;

  static {
    readData = function (this: LazyMessage): unknown {
      if (!this.#decoded) {
        this.#value = decodeData(this.dataJson);
        this.#decoded = true;
      }
      return this.#value;
    };
  }

  constructor(fields: LazyMessageFields) {
    // Assigned in the order of a plain message's fields, so that its keys list the same way.
    const self = this as { -readonly [K in keyof Message]: Message[K] };
    self.id = fields.id;
    self.channel = fields.channel;
    Object.defineProperty(this, 'data', DATA);
    self.dataJson = fields.dataJson;
    self.headers = fields.headers;
    self.timestamp = fields.timestamp;
    self.position = fields.position;
    self.attempt = fields.attempt;
  }
}

const DATA: PropertyDescriptor = { get: readData, enumerable: true, configurable: true };

/**
 * A {@link Message} for a driver that holds the JSON text of the data: `data` is decoded from
 * `dataJson` on its first read and cached, so a relay that only forwards `dataJson` (the
 * WebSocket server) never parses the message, and a reader that does parses it once.
 *
 * `data` is an own enumerable getter, so spreading the message, `JSON.stringify` and loose deep
 * equality (`toEqual`) see it as a plain field. `dataJson` must be JSON the driver encoded or
 * checked itself (for instance `preparePublish`'s `payload`); otherwise reading `data` throws
 * `invalid_data`, far from the driver. A driver that cannot vouch for its bytes decodes eagerly.
 */
export function lazyMessage<T = unknown>(fields: LazyMessageFields): Message<T> {
  return new LazyMessage(fields) as Message<T>;
}
