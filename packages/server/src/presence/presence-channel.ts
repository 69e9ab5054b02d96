import { MAX_CHANNEL_LENGTH, defaultDeadLetterChannel } from '@app/core';

/**
 * The bus channel that carries the presence of channel C is `presence.<C>`: `game:42` gives
 * `presence.game:42`, whose namespace is `presence.game`. On Kafka a namespace is a topic, so all
 * presence of one namespace shares one topic (`presence.game`), next to the channels' own.
 */
export const PRESENCE_PREFIX = 'presence.';

/**
 * Longest channel that can have presence: 187. Its presence channel must fit in
 * {@link MAX_CHANNEL_LENGTH}, and so must the name a bus derives from that for a subscribe
 * (`resolveSubscribeOptions` checks the default dead-letter channel `dlq:presence.<C>` even for a
 * broadcast subscription).
 */
export const MAX_PRESENCE_CHANNEL_LENGTH = MAX_CHANNEL_LENGTH - defaultDeadLetterChannel(PRESENCE_PREFIX).length;

/**
 * The one bus channel every instance of the cluster says it is alive on (`alive`) and says `bye`
 * on at shutdown, whatever channels it has members on: liveness costs one message per instance per
 * PRESENCE_HEARTBEAT_MS, not one per channel. It is a valid bus channel that no presence channel
 * can equal: `presence.<C>` continues with C's first character, and a valid channel starts with a
 * letter or digit, never `_`. Clients cannot reach it either, as it lies in the reserved
 * `presence.` namespaces ({@link reservedChannelProblem}).
 */
export const LIVENESS_CHANNEL = `${PRESENCE_PREFIX}_instances`;

/** The presence channel of a valid channel; check {@link presenceProblem} first. */
export function presenceChannelOf(channel: string): string {
  return PRESENCE_PREFIX + channel;
}

/** Why `channel` (valid) cannot have presence, or undefined. */
export function presenceProblem(channel: string): string | undefined {
  if (channel.length <= MAX_PRESENCE_CHANNEL_LENGTH) return undefined;
  return `channel is ${channel.length} characters long; presence needs at most ${MAX_PRESENCE_CHANNEL_LENGTH}, so that its presence channel "${PRESENCE_PREFIX}<channel>" (and the bus's "dlq:" name for it) fits in ${MAX_CHANNEL_LENGTH}`;
}

/**
 * Why a client may not name `channel` (valid) itself: the `presence.*` namespaces carry the
 * instances' presence messages, and a client subscribing or publishing there could read every
 * channel's members or forge them. Undefined for every other channel.
 */
export function reservedChannelProblem(channel: string): string | undefined {
  if (!channel.startsWith(PRESENCE_PREFIX)) return undefined;
  return `channels whose namespace starts with "${PRESENCE_PREFIX}" are reserved for the server's presence messages; use a "presence" frame or "presence": true on subscribe`;
}
