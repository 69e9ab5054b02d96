import fc from 'fast-check';

/**
 * Client frames for the protocol fuzz test, made by fast-check. A frame is built at send time
 * around the request id its lane picks (`build(id)`), so replies can be matched to frames; frames
 * whose id the server cannot read are followed by a probe instead (see fuzz-lane.ts).
 */
export interface FuzzFrame {
  /** Which generator made it, for the per-kind counts. */
  readonly kind: string;
  readonly binary: boolean;
  /** A `string` is sent as a text frame; a `Uint8Array` as a binary frame, or as a text frame when `binary` is false (maybe invalid UTF-8). */
  readonly build: (id: string) => string | Uint8Array;
}

/** What a fuzz lane needs to know to make frames: the limit, real positions, and pre-signed tokens. */
export interface FuzzContext {
  readonly maxFrameBytes: number;
  /** Positions the bus handed out during warm-up (for `since` made of real and mutated positions). */
  readonly positions: readonly string[];
  /** Tokens for `refresh`, by what the server should say: `ack` (same sub, valid), or forged/wrong ones. */
  readonly tokens: { readonly valid: readonly string[]; readonly bad: readonly string[]; readonly otherSub: readonly string[] };
}

/** Channels a fuzz token may use (fz:*: everything), may only subscribe to (good:*), or may not touch (ro:*). */
const FUZZ_CHANNELS = 400;
const channelArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: FUZZ_CHANNELS - 1 }).map((n) => `fz:${n}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((n) => `good:${n}`) },
  { weight: 1, arbitrary: fc.constantFrom('ro:1', 'ro:x.y', 'lobby') },
);
/** Channel names docs/protocol.md's rules refuse (invalid_channel). */
export const INVALID_CHANNELS: readonly string[] = ['', ' ', 'no spaces!', ':', 'fz:', ':fz', 'fz::1', 'a'.repeat(201), 'presence.fz:1', 'presence.x', 'fz:ü', 'fz:1/2', '_fz', '-fz', 'fz:*', 'fz:1\n'];
const invalidChannelArb = fc.constantFrom(...INVALID_CHANNELS);

const jsonData = fc.jsonValue({ maxDepth: 3, depthSize: 'small' });
/** Values of every JSON type but string, and strings that break id/since/token rules. */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const messageIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const badMessageIdArb = fc.oneof(fc.constantFrom('', 'has space', 'ü', 'a'.repeat(65), 'x/y', 'x:y'), wrongValue);

type Fields = Record<string, unknown>;
const withId = (fields: Fields, id: string): string => JSON.stringify({ ...fields, id });

function validFields(context: FuzzContext): fc.Arbitrary<Fields> {
  return fc.oneof(
    fc.record(
      { type: fc.constant('subscribe'), channel: channelArb, presence: fc.option(fc.boolean(), { nil: undefined, freq: 3 }) },
      { requiredKeys: ['type', 'channel'] },
    ),
    fc.record({ type: fc.constant('unsubscribe'), channel: channelArb }),
    fc.record({ type: fc.constant('publish'), channel: channelArb, data: jsonData, messageId: fc.option(messageIdArb, { nil: undefined, freq: 3 }) }, { requiredKeys: ['type', 'channel', 'data'] }),
    fc.record({ type: fc.constant('presence'), channel: channelArb }),
    fc.record({ type: fc.constant('refresh'), token: fc.constantFrom(...context.tokens.valid) }),
  );
}

/** A valid frame with one field given a value of another JSON type (or a string breaking its rules). */
function wrongTypeFrame(context: FuzzContext): fc.Arbitrary<FuzzFrame> {
  const badId = fc.oneof(wrongValue, fc.constantFrom('', 'x'.repeat(129)));
  return fc.tuple(validFields(context), fc.constantFrom('type', 'id', 'channel', 'data', 'since', 'presence', 'messageId', 'token'), wrongValue, badMessageIdArb, badId).map(([fields, field, value, badMessageId, badIdValue]) => ({
    kind: `wrong_type:${field}`,
    binary: false,
    build: (id: string) => {
      const frame: Fields = { ...fields, id };
      if (field === 'id') frame['id'] = badIdValue;
      else if (field === 'messageId') frame['messageId'] = badMessageId;
      else if (field === 'since') frame['since'] = Array.isArray(value) || value !== null ? value : '';
      else frame[field] = value;
      return JSON.stringify(frame);
    },
  }));
}

const sinceGarbage = (context: FuzzContext): fc.Arbitrary<unknown> => {
  const prefix = context.positions[0]?.split('-')[0] ?? 'deadbeef';
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(...(context.positions.length > 0 ? context.positions : ['x'])),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => `${prefix}-${n}`),
    fc.integer().map((n) => `${prefix}-${n}.5`),
    fc.stringMatching(/^[0-9a-f]{1,12}$/).map((hex) => `${hex}-1`),
    fc.constantFrom('', '-', `${prefix}-`, `-${prefix}`, `${prefix}--1`, '0-0', '$', '0'.repeat(300), `${prefix}-1e9`),
    wrongValue,
  );
};

/** A JSON text cut short: never valid JSON, because the top-level object only closes at its last character. */
function truncatedFrame(context: FuzzContext): fc.Arbitrary<FuzzFrame> {
  return fc.tuple(validFields(context), fc.double({ min: 0, max: 0.999, noNaN: true })).map(([fields, cut]) => ({
    kind: 'truncated_json',
    binary: false,
    build: (id: string) => {
      const text = withId(fields, id);
      return text.slice(0, Math.floor(cut * text.length));
    },
  }));
}

/** 100 to 12,000 levels of arrays or objects, closed or not, bare or as a publish's data. */
function nestedFrame(): fc.Arbitrary<FuzzFrame> {
  return fc.tuple(fc.integer({ min: 100, max: 12_000 }), fc.constantFrom('open_arrays', 'closed_arrays', 'open_objects', 'publish_arrays', 'publish_objects')).map(([depth, shape]) => ({
    kind: `nested:${shape}`,
    binary: false,
    build: (id: string) => {
      switch (shape) {
        case 'open_arrays':
          return '['.repeat(depth);
        case 'closed_arrays':
          return `${'['.repeat(depth)}${']'.repeat(depth)}`;
        case 'open_objects':
          return '{"a":'.repeat(depth);
        case 'publish_arrays': {
          const levels = Math.floor(depth / 3);
          return `{"type":"publish","channel":"fz:nested","id":${JSON.stringify(id)},"data":${'['.repeat(levels)}${']'.repeat(levels)}}`;
        }
        default: {
          const levels = Math.floor(depth / 6);
          return `{"type":"publish","channel":"fz:nested","id":${JSON.stringify(id)},"data":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`;
        }
      }
    },
  }));
}

/** A publish padded to exactly `size` bytes (multi-byte characters included), near or far over the limit. */
function hugeFrame(context: FuzzContext): fc.Arbitrary<FuzzFrame> {
  const max = context.maxFrameBytes;
  const size = fc.oneof(fc.integer({ min: max - 64, max: max + 64 }), fc.integer({ min: max - 2000, max: max }), fc.integer({ min: max + 1, max: max * 4 }));
  return fc.tuple(size, fc.constantFrom('a', 'é', '€', '😀', '"', '\\u0000'), fc.constantFrom('data', 'channel', 'id', 'token', 'unknown')).map(([target, unit, where]) => ({
    kind: `huge:${where}`,
    binary: false,
    build: (id: string) => {
      const shell = (pad: string): string => {
        switch (where) {
          case 'channel':
            return `{"type":"subscribe","channel":"fz:${pad}","id":${JSON.stringify(id)}}`;
          case 'id':
            return `{"type":"publish","channel":"fz:1","data":1,"id":"${pad}"}`;
          case 'token':
            return `{"type":"refresh","id":${JSON.stringify(id)},"token":"${pad}"}`;
          case 'unknown':
            return `{"type":"publish","channel":"fz:huge","data":1,"id":${JSON.stringify(id)},"x":"${pad}"}`;
          default:
            return `{"type":"publish","channel":"fz:huge","id":${JSON.stringify(id)},"data":"${pad}"}`;
        }
      };
      const room = Math.max(0, target - Buffer.byteLength(shell('')));
      const unitText = unit === '"' ? '\\"' : unit;
      const unitBytes = Buffer.byteLength(unitText);
      const pad = unitText.repeat(Math.floor(room / unitBytes)) + 'a'.repeat(room % unitBytes);
      return shell(pad);
    },
  }));
}

function tokenFrame(token: string, kind: string): FuzzFrame {
  return { kind, binary: false, build: (id) => JSON.stringify({ type: 'refresh', token, id }) };
}

const json = (kind: string, arb: fc.Arbitrary<Fields>): fc.Arbitrary<FuzzFrame> => arb.map((fields) => ({ kind, binary: false, build: (id: string) => withId(fields, id) }));

/** One item: a frame, or a burst (rapid subscribe/unsubscribe, refresh spam) sent back to back. */
export function fuzzItem(context: FuzzContext): fc.Arbitrary<FuzzFrame[]> {
  const one = (arb: fc.Arbitrary<FuzzFrame>): fc.Arbitrary<FuzzFrame[]> => arb.map((frame) => [frame]);
  const unknownKey = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'user', 'position', 'timestamp', 'toString'));
  return fc.oneof(
    { weight: 28, arbitrary: one(validFields(context).map((fields) => ({ kind: `valid:${String(fields['type'])}`, binary: false, build: (id: string) => withId(fields, id) }))) },
    { weight: 14, arbitrary: one(wrongTypeFrame(context)) },
    {
      weight: 7,
      arbitrary: one(
        fc.tuple(validFields(context), fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 })).map(([fields, extra]) => ({
          kind: 'unknown_fields',
          binary: false,
          // Extra keys first: the frame's own fields win, as a JSON object with repeated keys keeps the last.
          build: (id: string) => `{${[JSON.stringify(extra).slice(1, -1), JSON.stringify({ ...fields, id }).slice(1, -1)].filter((part) => part !== '').join(',')}}`,
        })),
      ),
    },
    { weight: 4, arbitrary: one(json('unknown_type', fc.record({ type: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('Subscribe', 'SUBSCRIBE', 'message', 'ack', 'welcome', 'error', 'subscribe ', '')), channel: channelArb }))) },
    { weight: 5, arbitrary: one(fc.string({ unit: 'binary', maxLength: 300 }).map((text) => ({ kind: 'random_text', binary: false, build: () => text }))) },
    { weight: 3, arbitrary: one(fc.stringMatching(/^[{}[\]",:0-9a-z\\ ]{0,120}$/).map((text) => ({ kind: 'json_ish_text', binary: false, build: () => text }))) },
    { weight: 3, arbitrary: one(fc.jsonValue({ maxDepth: 2 }).filter((value) => value === null || typeof value !== 'object' || Array.isArray(value)).map((value) => ({ kind: 'json_not_object', binary: false, build: () => JSON.stringify(value) }))) },
    { weight: 5, arbitrary: one(fc.uint8Array({ maxLength: 400 }).map((bytes) => ({ kind: 'random_binary', binary: true, build: () => bytes }))) },
    { weight: 2, arbitrary: one(fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => ({ kind: 'random_bytes_as_text', binary: false, build: () => bytes }))) },
    { weight: 6, arbitrary: one(truncatedFrame(context)) },
    { weight: 2, arbitrary: one(nestedFrame()) },
    { weight: 2, arbitrary: one(hugeFrame(context)) },
    {
      weight: 6,
      arbitrary: one(
        fc.tuple(fc.integer({ min: 0, max: FUZZ_CHANNELS - 1 }), sinceGarbage(context)).map(([channel, since]) => ({
          kind: 'since_garbage',
          binary: false,
          build: (id: string) => JSON.stringify({ type: 'subscribe', channel: `fz:${channel}`, since, id }),
        })),
      ),
    },
    { weight: 2, arbitrary: one(json('invalid_channel', fc.record({ type: fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'presence'), channel: invalidChannelArb, data: fc.constant(1) }))) },
    { weight: 4, arbitrary: one(fc.constantFrom(...context.tokens.bad).map((token) => tokenFrame(token, 'refresh:forged'))) },
    { weight: 1, arbitrary: one(fc.constantFrom(...context.tokens.otherSub).map((token) => tokenFrame(token, 'refresh:other_sub'))) },
    { weight: 2, arbitrary: one(fc.string({ minLength: 1, maxLength: 300 }).map((token) => tokenFrame(token, 'refresh:garbage'))) },
    {
      weight: 1,
      arbitrary: fc.array(fc.constantFrom(...context.tokens.valid, ...context.tokens.bad, ...context.tokens.otherSub), { minLength: 5, maxLength: 30 }).map((tokens) => tokens.map((token) => tokenFrame(token, 'refresh:spam'))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: FUZZ_CHANNELS - 1 }), fc.array(fc.boolean(), { minLength: 10, maxLength: 60 }), fc.boolean())
        .map(([channel, ops, withIds]) =>
          ops.map((subscribe) => ({
            kind: subscribe ? 'rapid:subscribe' : 'rapid:unsubscribe',
            binary: false,
            build: (id: string) => JSON.stringify(withIds ? { type: subscribe ? 'subscribe' : 'unsubscribe', channel: `fz:${channel}`, id } : { type: subscribe ? 'subscribe' : 'unsubscribe', channel: `fz:${channel}` }),
          })),
        ),
    },
  );
}

/** `count` frames for one lane, the same for the same seed. */
export function laneFrames(context: FuzzContext, seed: number, count: number): FuzzFrame[] {
  const frames: FuzzFrame[] = [];
  const arb = fuzzItem(context);
  let round = 0;
  while (frames.length < count) {
    for (const item of fc.sample(arb, { seed: seed + round * 7919, numRuns: Math.max(16, Math.ceil((count - frames.length) * 0.8)) })) frames.push(...item);
    round += 1;
  }
  return frames.slice(0, count);
}

const CLIENT_TYPES = ['subscribe', 'unsubscribe', 'publish', 'refresh', 'presence'];
/** docs/protocol.md's channel rules, restated here (not imported) so the oracle is the document's. */
const CHANNEL_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+)*$/;

/**
 * What docs/protocol.md says the server answers to this text, as far as the text alone decides:
 * `{ code }` for a frame refused as it stands (invalid_json, invalid_frame, unknown_type,
 * invalid_channel, missing_data, invalid_position), `{ parsed: true }` for a well-formed frame
 * (whose answer depends on the connection's state: ack, forbidden, not_subscribed...), or
 * `{}` when the oracle cannot tell (a channel name it does not classify).
 */
export function expectedAnswer(text: string): { code?: string; parsed?: true } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { code: 'invalid_json' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { code: 'invalid_frame' };
  const fields = value as Record<string, unknown>;
  const id = fields['id'];
  if (id !== undefined && !(typeof id === 'string' && id.length >= 1 && id.length <= 128)) return { code: 'invalid_frame' };
  const type = fields['type'];
  if (typeof type !== 'string') return { code: 'invalid_frame' };
  if (!CLIENT_TYPES.includes(type)) return { code: 'unknown_type' };
  if (type === 'refresh') {
    const token = fields['token'];
    return typeof token === 'string' && token.length > 0 ? { parsed: true } : { code: 'invalid_frame' };
  }
  const channel = fields['channel'];
  if (typeof channel !== 'string' || INVALID_CHANNELS.includes(channel) || channel.startsWith('presence.')) return { code: 'invalid_channel' };
  if (channel.length > 200) return { code: 'invalid_channel' };
  if (!CHANNEL_RULE.test(channel)) return {};
  if (type === 'publish') {
    if (!('data' in fields)) return { code: 'missing_data' };
    const messageId = fields['messageId'];
    if (messageId !== undefined && !(typeof messageId === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(messageId))) return { code: 'invalid_frame' };
  }
  if (type === 'subscribe') {
    const presence = fields['presence'];
    if (presence !== undefined && typeof presence !== 'boolean') return { code: 'invalid_frame' };
    const since = fields['since'];
    if (since !== undefined && !(typeof since === 'string' && since.length > 0)) return { code: 'invalid_position' };
  }
  if (type === 'presence' && channel.length > 187) return { code: 'invalid_channel' };
  return { parsed: true };
}

/** Codes that mean "this text is not a frame": never the answer to a frame the oracle found well-formed. */
export const PARSE_ERROR_CODES: ReadonlySet<string> = new Set(['invalid_json', 'invalid_frame', 'unknown_type', 'invalid_channel', 'missing_data']);
