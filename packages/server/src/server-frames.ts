import type { Message } from '@app/core';
import { USER_HEADER } from './auth/user-header.js';
import type { ErrorCode } from './protocol.js';

/** Server-to-client frames, encoded here so that every frame has one shape. */

export function welcomeFrame(details: { instance: string; driver: string; maxFrameBytes: number; maxSubscriptions: number }): string {
  return JSON.stringify({ type: 'welcome', protocol: 1, ...details });
}

/** `position`: for a plain subscribe, where the client resumes with `since` if it gets no message before it reconnects. */
export function ackFrame(id: string, position?: string): string {
  return JSON.stringify(position === undefined ? { type: 'ack', id } : { type: 'ack', id, position });
}

/** The ack of a publish: the bus message id subscribers will see, and its position when the bus told it. */
export function publishAckFrame(id: string, messageId: string, position: string | undefined): string {
  return JSON.stringify(position === undefined ? { type: 'ack', id, messageId } : { type: 'ack', id, messageId, position });
}

/** `channel` is set when the failed request named one, so clients that send no ids still know which. */
export function errorFrame(code: ErrorCode, message: string, id: string | undefined, channel?: string): string {
  return JSON.stringify({
    type: 'error',
    ...(id === undefined ? {} : { id }),
    code,
    message,
    ...(channel === undefined ? {} : { channel }),
  });
}

/** The server ended a subscription on its own, e.g. `forbidden` after a refresh whose token no longer grants it. */
export function unsubscribedFrame(channel: string, code: ErrorCode, message: string): string {
  return JSON.stringify({ type: 'unsubscribed', channel, code, message });
}

/**
 * The `message` frame. With the JSON text the bus carried (`dataJson`) it is spliced in as is,
 * so a relayed message is never decoded and re-encoded here; the small string fields are escaped
 * with JSON.stringify. Field order matches docs/protocol.md. `user` is there only when the
 * publisher was authenticated: the server set the header from its token (see user-header.ts).
 */
export function messageFrame(message: Message): string {
  const dataJson = message.dataJson ?? JSON.stringify(message.data);
  const user = message.headers[USER_HEADER];
  return (
    `{"type":"message","channel":${JSON.stringify(message.channel)},"data":${dataJson}` +
    `,"id":${JSON.stringify(message.id)},"position":${JSON.stringify(message.position)},"timestamp":${JSON.stringify(message.timestamp)}` +
    (user === undefined ? '}' : `,"user":${JSON.stringify(user)}}`)
  );
}
