import { BusError } from './errors.js';

/** Longest channel name accepted, in characters. */
export const MAX_CHANNEL_LENGTH = 200;

const SEGMENT = '[A-Za-z0-9_.-]+';
const CHANNEL_PATTERN = new RegExp(`^[A-Za-z0-9]${'[A-Za-z0-9_.-]*'}(?::${SEGMENT})*$`);

/**
 * Channel names are one or more segments joined by `:`, such as `lobby`, `game:42` or
 * `game:42:chat`. A segment holds letters, digits, `_`, `.` and `-`; the first segment (the
 * namespace) starts with a letter or digit. At most {@link MAX_CHANNEL_LENGTH} characters.
 *
 * The rules are strict on purpose: the namespace must be a valid Kafka topic name and every
 * channel a safe Redis key, so a name accepted by one driver is accepted by all.
 */
export function channelProblem(channel: unknown): string | undefined {
  if (typeof channel !== 'string') return `channel must be a string, got ${typeof channel}`;
  if (channel.length === 0) return 'channel must not be empty';
  if (channel.length > MAX_CHANNEL_LENGTH) {
    return `channel is ${channel.length} characters long; the limit is ${MAX_CHANNEL_LENGTH}`;
  }
  if (!CHANNEL_PATTERN.test(channel)) {
    return `channel "${channel}" is not valid: use segments of letters, digits, "_", "." and "-" joined by ":" (e.g. "game:42"), starting with a letter or digit`;
  }
  return undefined;
}

/** Throws a `BusError` with reason `invalid_channel` unless {@link channelProblem} finds nothing. */
export function validateChannel(channel: unknown): asserts channel is string {
  const problem = channelProblem(channel);
  if (problem !== undefined) throw new BusError('invalid_channel', problem);
}

/** The namespace of a channel: the part before the first `:` (`game` for `game:42`). */
export function channelNamespace(channel: string): string {
  const colon = channel.indexOf(':');
  return colon === -1 ? channel : channel.slice(0, colon);
}

/** The channel that a group subscription's dead letters go to unless the caller names one. */
export function defaultDeadLetterChannel(channel: string): string {
  return `dlq:${channel}`;
}
