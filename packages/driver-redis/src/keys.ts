import { channelNamespace } from '@app/core';

/**
 * The stream key of a channel: `<prefix>{<namespace>}:<channel>`, e.g. `bus:{game}:game:42`.
 * The braces are a Redis Cluster hash tag: every channel of one namespace lands on one slot, so
 * one multi-key read can serve all of them. Channel rules (core) forbid braces in names, so
 * keys of different channels never collide.
 */
export function streamKey(prefix: string, channel: string): string {
  return `${prefix}{${channelNamespace(channel)}}:${channel}`;
}

