/**
 * What instances tell each other on a presence channel (`presence.<C>`) and on the liveness
 * channel (`presence._instances`, see presence-channel.ts). Every message names its sender's
 * incarnation (`instance`: INSTANCE_ID plus a random per-start suffix), so a restarted instance is
 * a new sender and its old self simply expires.
 *
 * On `presence.<C>`:
 * - `join` / `leave`: a user's first / last connection on the sender subscribed to C.
 * - `state`: the sender's full member list of C, in parts of at most {@link STATE_PART_USERS}
 *   users; sent in answer to `sync`, and at the next heartbeat after a publish on C failed.
 * - `sync`: the sender just started following C; instances with members answer with `state`.
 *
 * On the liveness channel:
 * - `alive`: the sender has members somewhere; sent every PRESENCE_HEARTBEAT_MS while it does. It
 *   renews the sender on every channel at once (nothing else says so periodically).
 * - `bye`: the sender shuts down; drop its members on every channel now instead of at the TTL.
 *   A `bye` on `presence.<C>` (from older instances) drops them on C only.
 *
 * Only the liveness channel's messages are published ephemeral; channel messages are stored, so
 * a follower that lost its link catches up a `join` or `leave` it missed (see presence-hub.ts).
 *
 * An older instance (from before the liveness channel) does not follow it, and on Redis its
 * driver drops every ephemeral announcement anyway, so it never hears an `alive`: it drops a newer
 * instance's users from C a TTL after their instance's last message on C. Upgrade all instances
 * within one deploy.
 *
 * Messages come from the bus, so anything may arrive: {@link parsePresenceMessage} checks each.
 */
export type PresenceMessage =
  | { readonly v: 1; readonly type: 'join' | 'leave'; readonly instance: string; readonly user: string }
  | { readonly v: 1; readonly type: 'state'; readonly instance: string; readonly users: readonly string[]; readonly part: number; readonly parts: number }
  | { readonly v: 1; readonly type: 'sync' | 'bye' | 'alive'; readonly instance: string };

export const PRESENCE_VERSION = 1;

/** Users per `state` part: at most 500 × (128 + 3) bytes of names, far below any bus's payload limit. */
export const STATE_PART_USERS = 500;

/** Longest user accepted from the bus: a token `sub` has at most 128 characters, an anonymous id is `anon:<connection id>`. */
export const MAX_USER_LENGTH = 1024;
const MAX_INSTANCE_LENGTH = 1024;
const MAX_PARTS = 100_000;
const TYPES = ['join', 'leave', 'state', 'sync', 'bye', 'alive'] as const;

function isName(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isCount(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The message, or why it is not one (for the log). */
export function parsePresenceMessage(data: unknown): PresenceMessage | string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'not a JSON object';
  const fields = data as Record<string, unknown>;
  if (fields['v'] !== PRESENCE_VERSION) return `unknown version ${JSON.stringify(fields['v'])}`;
  const type = fields['type'];
  if (!(TYPES as readonly unknown[]).includes(type)) return `unknown type ${JSON.stringify(type)?.slice(0, 40)}`;
  const instance = fields['instance'];
  if (!isName(instance, MAX_INSTANCE_LENGTH)) return `"instance" must be a string of 1 to ${MAX_INSTANCE_LENGTH} characters`;
  switch (type as (typeof TYPES)[number]) {
    case 'join':
    case 'leave': {
      const user = fields['user'];
      if (!isName(user, MAX_USER_LENGTH)) return `"user" must be a string of 1 to ${MAX_USER_LENGTH} characters`;
      return { v: 1, type: type as 'join' | 'leave', instance, user };
    }
    case 'state': {
      const { users, part, parts } = fields;
      if (!isCount(parts, 1, MAX_PARTS) || !isCount(part, 0, parts - 1)) return '"part" and "parts" must be whole numbers with 0 <= part < parts';
      if (!Array.isArray(users) || users.length > STATE_PART_USERS * 2) return `"users" must be an array of at most ${STATE_PART_USERS * 2} users`;
      const list: readonly unknown[] = users;
      if (!list.every((user) => isName(user, MAX_USER_LENGTH))) return `every user must be a string of 1 to ${MAX_USER_LENGTH} characters`;
      return { v: 1, type: 'state', instance, users: list as string[], part, parts };
    }
    default:
      return { v: 1, type: type as 'sync' | 'bye' | 'alive', instance };
  }
}

export function deltaMessage(type: 'join' | 'leave', instance: string, user: string): PresenceMessage {
  return { v: 1, type, instance, user };
}

export function signalMessage(type: 'sync' | 'bye' | 'alive', instance: string): PresenceMessage {
  return { v: 1, type, instance };
}

/** The `state` parts for `users` (one empty part for none). */
export function stateMessages(instance: string, users: readonly string[]): PresenceMessage[] {
  const parts = Math.max(1, Math.ceil(users.length / STATE_PART_USERS));
  return Array.from({ length: parts }, (_, part) => ({
    v: 1 as const,
    type: 'state' as const,
    instance,
    users: users.slice(part * STATE_PART_USERS, (part + 1) * STATE_PART_USERS),
    part,
    parts,
  }));
}
