import { MAX_CHANNEL_LENGTH, channelNamespace, channelProblem } from '@app/core';

/**
 * What a token may do on a channel: `subscribe` to it, `publish` to it, or see its `presence`.
 * Nothing else is an action; {@link parseChannelGrants} rejects any other string.
 */
export type Action = 'subscribe' | 'publish' | 'presence';

/** Every {@link Action}, in the order error messages list them. */
export const ACTIONS: readonly Action[] = ['subscribe', 'publish', 'presence'];

/**
 * A validated `channels` claim (or `AUTH_DEFAULT_CHANNELS`): channel pattern → the actions it grants.
 *
 * A pattern is one of
 * - an exact channel name such as `game:42`;
 * - `ns:*`: every channel whose namespace (see `channelNamespace`) is `ns`. That includes the bare
 *   one-segment channel `ns` itself, whose namespace is `ns` too, because the namespace is the unit
 *   the drivers share (one Kafka topic), so splitting it would be surprising. `game:*` does not
 *   match `gamex:1`, and `game:42:*` is not a pattern (only the first segment is a namespace);
 * - `*`: every channel.
 *
 * `{sub}` anywhere in a pattern stands for the token's `sub`; it is substituted by {@link grantsFor},
 * not here, so one parsed `AUTH_DEFAULT_CHANNELS` serves every token.
 *
 * Build it with {@link parseChannelGrants}; a hand-made map skips the validation that
 * {@link grantsFor} relies on.
 */
export type ChannelGrants = ReadonlyMap<string, ReadonlySet<Action>>;

/** Grants nothing: what a token without a `channels` claim gets when `AUTH_DEFAULT_CHANNELS` is unset. */
export const NO_CHANNEL_GRANTS: ChannelGrants = new Map();

/**
 * The compiled grants of one token, built once by {@link grantsFor} and asked once per frame.
 */
export interface ChannelAccess {
  /**
   * Whether `action` on `channel` is granted. Unknown channels are denied.
   *
   * The channel is not validated here (that would cost a regex per frame): the caller checks it
   * with `channelProblem` first, as the server already does for every frame. With a `*` grant any
   * string is allowed.
   */
  allows(channel: string, action: Action): boolean;
}

/** Most patterns one claim or `AUTH_DEFAULT_CHANNELS` may hold; a bound on per-token compile work. */
export const MAX_CHANNEL_PATTERNS = 256;

/** Longest pattern: a longest namespace plus `:*`. `{sub}` patterns are checked again after substitution. */
export const MAX_PATTERN_LENGTH = MAX_CHANNEL_LENGTH + 2;

const SUB = '{sub}';
/** Stands in for `{sub}` when validating a pattern: a valid segment anywhere, even first. */
const SUB_PLACEHOLDER = 'x';
const SEGMENT = /^[A-Za-z0-9_.-]+$/;

const BITS: Readonly<Record<Action, number>> = { subscribe: 1, publish: 2, presence: 4 };

function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Why `pattern` is not a valid pattern, or undefined. `{sub}` is judged as if it were a plain segment. */
function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'a pattern must not be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`;
  }
  if (pattern === '*') return undefined;
  const namespaceForm = pattern.endsWith(':*');
  const body = namespaceForm ? pattern.slice(0, -2) : pattern;
  if (body.includes('*')) {
    return `"*" may only be the whole pattern ("*") or follow a namespace ("game:*")`;
  }
  if (namespaceForm && body.includes(':')) {
    return `"*" may only follow a namespace, the first segment ("game:*", not "game:42:*")`;
  }
  const problem = channelProblem(body.replaceAll(SUB, SUB_PLACEHOLDER));
  return problem === undefined ? undefined : `not a channel name or pattern (${problem})`;
}

/**
 * Validates a `channels` claim or the parsed `AUTH_DEFAULT_CHANNELS` JSON and returns it as
 * {@link ChannelGrants}. Strict on purpose: a typo in a grant should fail loudly, not silently grant
 * less (or more).
 *
 * Accepts an object of at most {@link MAX_CHANNEL_PATTERNS} patterns, each mapped to an array of
 * {@link Action} strings. An empty array is allowed and grants nothing; repeated actions are harmless.
 *
 * @param where Names the source in error messages, e.g. `the token's "channels" claim`.
 * @throws Error naming `where` and the bad entry: not an object, too many patterns, an empty, too
 * long or malformed pattern (including `*` other than as `*` or `ns:*`), actions not an array of
 * strings, or an unknown action.
 */
export function parseChannelGrants(value: unknown, where: string): ChannelGrants {
  if (!isPlainObject(value)) {
    throw new Error(`${where} must be an object mapping channel patterns to arrays of actions, got ${describeType(value)}`);
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_CHANNEL_PATTERNS) {
    throw new Error(`${where} has ${entries.length} patterns; the limit is ${MAX_CHANNEL_PATTERNS}`);
  }
  const grants = new Map<string, ReadonlySet<Action>>();
  for (const [pattern, actions] of entries) {
    // Long patterns are cut in messages: they may come from a token anyone can send.
    const shown = JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 40)}…` : pattern);
    const problem = patternProblem(pattern);
    if (problem !== undefined) throw new Error(`${where}: pattern ${shown}: ${problem}`);
    // Array.isArray narrows to any[]; name the elements unknown so each one is checked.
    const list: readonly unknown[] | undefined = Array.isArray(actions) ? actions : undefined;
    const nonString = list?.find((action) => typeof action !== 'string');
    if (list === undefined || nonString !== undefined || list.includes(undefined)) {
      const got = list === undefined ? describeType(actions) : `an array holding ${describeType(nonString)}`;
      throw new Error(`${where}: pattern ${shown} must map to an array of action strings, got ${got}`);
    }
    const unknown = list.find((action) => !isAction(action));
    if (unknown !== undefined) {
      throw new Error(`${where}: pattern ${shown}: unknown action ${JSON.stringify(unknown)}; use ${ACTIONS.join(', ')}`);
    }
    grants.set(pattern, new Set(list.filter(isAction)));
  }
  return grants;
}

/**
 * Parses the text of `AUTH_DEFAULT_CHANNELS`: unset or blank grants nothing, anything else must be
 * JSON that {@link parseChannelGrants} accepts.
 *
 * @throws Error naming `AUTH_DEFAULT_CHANNELS` when the text is not JSON or not valid grants.
 */
export function parseDefaultChannelGrants(text: string | undefined): ChannelGrants {
  const where = 'AUTH_DEFAULT_CHANNELS';
  if (text === undefined || text.trim() === '') return NO_CHANNEL_GRANTS;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseChannelGrants(value, where);
}

function addBits(map: Map<string, number>, key: string, bits: number): void {
  map.set(key, (map.get(key) ?? 0) | bits);
}

/**
 * Compiles `grants` for one token, substituting its `sub` for `{sub}`, so that each
 * {@link ChannelAccess.allows} call is a few Map lookups and no regex.
 *
 * A pattern's kind (exact, `ns:*`, `*`) is fixed by the pattern as written, never by the sub: a sub
 * of `*` makes `user:{sub}` the literal (invalid) channel `user:*`, not a wildcard. A pattern with
 * `{sub}` grants nothing when `sub` is undefined or is not a single valid channel segment; a sub with
 * `:` in particular is refused, because `user:{sub}` with sub `1:admin` would otherwise reach
 * `user:1:admin`, a sub-channel of user `1`. Patterns that reach the same channel add their actions.
 */
export function grantsFor(grants: ChannelGrants, sub: string | undefined): ChannelAccess {
  const subUsable = sub !== undefined && SEGMENT.test(sub);
  const exact = new Map<string, number>();
  const namespaces = new Map<string, number>();
  let everything = 0;
  for (const [pattern, actions] of grants) {
    let bits = 0;
    for (const action of actions) bits |= BITS[action];
    if (bits === 0) continue;
    if (pattern === '*') {
      everything |= bits;
      continue;
    }
    if (pattern.includes(SUB) && !subUsable) continue;
    const namespaceForm = pattern.endsWith(':*');
    const body = namespaceForm ? pattern.slice(0, -2) : pattern;
    const resolved = subUsable ? body.replaceAll(SUB, sub) : body;
    // Substitution can still break the name (a sub starting with "_" as namespace, or too long).
    if (channelProblem(resolved) !== undefined) continue;
    addBits(namespaceForm ? namespaces : exact, resolved, bits);
  }
  return {
    allows(channel: string, action: Action): boolean {
      const bit = BITS[action];
      if ((everything & bit) !== 0) return true;
      if (((exact.get(channel) ?? 0) & bit) !== 0) return true;
      return ((namespaces.get(channelNamespace(channel)) ?? 0) & bit) !== 0;
    },
  };
}
