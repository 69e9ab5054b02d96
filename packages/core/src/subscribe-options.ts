import { channelProblem, defaultDeadLetterChannel, validateChannel } from './channel.js';
import { BusError } from './errors.js';
import type { BusFeature } from './features.js';
import type { DeliveryMode, Message, SubscribeOptions } from './message-bus.js';

/** Default for `SubscribeOptions.maxAttempts`. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Subscribe options with every default filled in, as drivers consume them. */
export interface ResolvedSubscribeOptions {
  readonly mode: DeliveryMode;
  /** Set in group mode only. */
  readonly group: string | undefined;
  readonly from: string | undefined;
  readonly maxAttempts: number;
  readonly deadLetterChannel: string;
  readonly onError: ((error: Error, message?: Message) => void) | undefined;
}

/**
 * Checks a `subscribe` call the same way for every driver and returns its options with every
 * default filled in (mode `broadcast`, `maxAttempts` 5, dead letters to `dlq:<channel>`).
 * Throws `invalid_channel`, `invalid_options` (also for `from` with group mode), `invalid_position`
 * (an empty or non-string `from`) or `unsupported` (group mode or `from` without the feature).
 */
export function resolveSubscribeOptions(
  channel: string,
  handler: unknown,
  options: SubscribeOptions | undefined,
  features: ReadonlySet<BusFeature>,
): ResolvedSubscribeOptions {
  validateChannel(channel);
  if (typeof handler !== 'function') throw new BusError('invalid_options', 'handler must be a function');
  const mode = options?.mode ?? 'broadcast';
  if (mode !== 'broadcast' && mode !== 'group') {
    throw new BusError('invalid_options', `mode must be "broadcast" or "group", got ${JSON.stringify(mode)}`);
  }
  let group: string | undefined;
  if (mode === 'group') {
    if (!features.has('groups')) throw new BusError('unsupported', 'this bus does not support group subscriptions (feature "groups")');
    group = options?.group;
    const problem = channelProblem(group);
    if (group === undefined || problem !== undefined || group.includes(':')) {
      throw new BusError('invalid_options', 'group mode needs a group name of letters, digits, "_", "." and "-"');
    }
  } else if (options?.group !== undefined) {
    throw new BusError('invalid_options', 'a group name is only allowed with mode "group"');
  }
  const from = options?.from;
  if (from !== undefined) {
    // First, so the answer is the same on every driver, with or without replay: a group resumes
    // from its own committed state; `from` is for broadcast subscriptions.
    if (mode === 'group') throw new BusError('invalid_options', 'from cannot be combined with mode "group": a group resumes from its own committed position');
    if (!features.has('replay')) throw new BusError('unsupported', 'this bus cannot replay from a position (feature "replay")');
    if (typeof from !== 'string' || from.length === 0) throw new BusError('invalid_position', 'from must be a position string');
  }
  const maxAttempts = options?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
    throw new BusError('invalid_options', 'maxAttempts must be a whole number from 1 to 1000');
  }
  const deadLetterChannel = options?.deadLetterChannel ?? defaultDeadLetterChannel(channel);
  validateChannel(deadLetterChannel);
  if (deadLetterChannel === channel) throw new BusError('invalid_options', 'the dead-letter channel must differ from the channel');
  return { mode, group, from, maxAttempts, deadLetterChannel, onError: options?.onError };
}

/** Headers a driver adds to a dead letter, so whoever reads the dead-letter channel knows what happened. */
export const DEAD_LETTER_HEADERS = {
  channel: 'x-dead-letter-channel',
  id: 'x-dead-letter-id',
  attempts: 'x-dead-letter-attempts',
  error: 'x-dead-letter-error',
} as const;

/**
 * The headers of a dead letter made from `message` after its last failed attempt: a new object
 * with the message's own headers plus the four `x-dead-letter-*` ones of
 * {@link DEAD_LETTER_HEADERS} (the error text cut to 500 characters).
 */
export function deadLetterHeaders(message: Message, error: unknown): Record<string, string> {
  const text = error instanceof Error ? error.message : String(error);
  return {
    ...message.headers,
    [DEAD_LETTER_HEADERS.channel]: message.channel,
    [DEAD_LETTER_HEADERS.id]: message.id,
    [DEAD_LETTER_HEADERS.attempts]: String(message.attempt),
    [DEAD_LETTER_HEADERS.error]: text.slice(0, 500),
  };
}
