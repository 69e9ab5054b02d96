/** The presence frames the server sends to clients (docs/protocol.md, "Presence"). */

/** `{"type":"join"|"leave","channel":C,"user":U}`: U's first connection to C appeared, or its last one went, on any instance. */
export function presenceEventFrame(type: 'join' | 'leave', channel: string, user: string): string {
  return JSON.stringify({ type, channel, user });
}

/** The answer to a `presence` request: each member once, at most PRESENCE_MAX_MEMBERS of them. */
export function presenceAnswerFrame(id: string | undefined, channel: string, users: readonly string[], truncated: boolean): string {
  return JSON.stringify({
    type: 'presence',
    ...(id === undefined ? {} : { id }),
    channel,
    members: users.map((user) => ({ user })),
    truncated,
  });
}
