import { channelProblem } from '@app/core';
import { reservedChannelProblem } from './presence/presence-channel.js';

/** Protocol error codes sent in `error` frames; docs/protocol.md describes each. */
export type ErrorCode =
  | 'invalid_json'
  | 'invalid_frame'
  | 'unknown_type'
  | 'invalid_channel'
  | 'missing_data'
  | 'binary_unsupported'
  | 'not_subscribed'
  | 'too_many_subscriptions'
  | 'forbidden'
  | 'rate_limited'
  | 'invalid_token'
  | 'sub_mismatch'
  | 'auth_disabled'
  | 'payload_too_large'
  | 'invalid_data'
  | 'invalid_position'
  | 'position_expired'
  | 'replay_unsupported'
  | 'bus_unavailable'
  | 'internal_error';

export const MAX_REQUEST_ID_LENGTH = 128;

/** A client-chosen `messageId` of a publish: short and URL-safe, so the scoped bus id stays within the bus's 128 characters. */
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type ClientFrame =
  | { readonly type: 'subscribe'; readonly channel: string; readonly id?: string; readonly since?: string; readonly presence?: true }
  | { readonly type: 'unsubscribe'; readonly channel: string; readonly id?: string }
  | { readonly type: 'publish'; readonly channel: string; readonly data: unknown; readonly id?: string; readonly messageId?: string }
  | { readonly type: 'refresh'; readonly token: string; readonly id?: string }
  | { readonly type: 'presence'; readonly channel: string; readonly id?: string };

/** Why a frame was refused, with the request id when one could be read. */
export interface FrameProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly id?: string;
}

export type ParseResult = { readonly ok: true; readonly frame: ClientFrame } | { readonly ok: false; readonly problem: FrameProblem };

const CLIENT_TYPES = ['subscribe', 'unsubscribe', 'publish', 'refresh', 'presence'] as const;

function refuse(code: ErrorCode, message: string, id: string | undefined): ParseResult {
  return { ok: false, problem: id === undefined ? { code, message } : { code, message, id } };
}

/** Parses one text frame into a typed client frame, or says precisely what is wrong with it. */
export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('invalid_json', 'frame is not valid JSON', undefined);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return refuse('invalid_frame', 'frame must be a JSON object with a "type"', undefined);
  }
  const fields = value as Record<string, unknown>;
  // Echo the id on errors whenever it is usable, so the client can match the failure to its request.
  const rawId = fields['id'];
  const idUsable = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= MAX_REQUEST_ID_LENGTH;
  const id = idUsable ? rawId : undefined;
  if (rawId !== undefined && !idUsable) {
    return refuse('invalid_frame', `"id" must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`, undefined);
  }
  const type = fields['type'];
  if (typeof type !== 'string') return refuse('invalid_frame', 'frame must have a string "type"', id);
  if (!(CLIENT_TYPES as readonly string[]).includes(type)) {
    return refuse('unknown_type', `unknown frame type "${type.slice(0, 40)}"; expected ${CLIENT_TYPES.join(', ')}`, id);
  }
  const withId = id === undefined ? {} : { id };
  if (type === 'refresh') {
    const token = fields['token'];
    if (typeof token !== 'string' || token.length === 0) return refuse('invalid_frame', '"refresh" needs a "token" string', id);
    return { ok: true, frame: { type, token, ...withId } };
  }
  const channel = fields['channel'];
  if (channel === undefined) return refuse('invalid_channel', `"${type}" needs a "channel"`, id);
  const problem = channelProblem(channel) ?? reservedChannelProblem(channel as string);
  if (problem !== undefined) return refuse('invalid_channel', problem, id);
  const channelName = channel as string;

  if (type === 'publish') {
    if (!('data' in fields)) return refuse('missing_data', '"publish" needs a "data" field (any JSON value, null included)', id);
    const messageId = fields['messageId'];
    if (messageId === undefined) return { ok: true, frame: { type, channel: channelName, data: fields['data'], ...withId } };
    if (typeof messageId !== 'string' || !MESSAGE_ID.test(messageId)) {
      return refuse('invalid_frame', '"messageId" must be 1 to 64 characters of A-Z, a-z, 0-9, "_" and "-"', id);
    }
    return { ok: true, frame: { type, channel: channelName, data: fields['data'], messageId, ...withId } };
  }
  if (type === 'subscribe') {
    const since = fields['since'];
    const presence = fields['presence'];
    if (presence !== undefined && typeof presence !== 'boolean') return refuse('invalid_frame', '"presence" must be true or false', id);
    const withPresence = presence === true ? { presence } : {};
    if (since === undefined) return { ok: true, frame: { type, channel: channelName, ...withPresence, ...withId } };
    if (typeof since !== 'string' || since.length === 0) {
      return refuse('invalid_position', '"since" must be a non-empty position string taken from a message frame', id);
    }
    return { ok: true, frame: { type, channel: channelName, since, ...withPresence, ...withId } };
  }
  if (type === 'presence') return { ok: true, frame: { type, channel: channelName, ...withId } };
  return { ok: true, frame: { type: 'unsubscribe', channel: channelName, ...withId } };
}
