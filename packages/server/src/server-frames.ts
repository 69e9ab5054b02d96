import type { Message } from '@app/core';
import type { ErrorCode } from './protocol.js';

/** Server-to-client frames, encoded here so that every frame has one shape. */

export function welcomeFrame(details: { instance: string; driver: string; maxFrameBytes: number; maxSubscriptions: number }): string {
  return JSON.stringify({ type: 'welcome', protocol: 1, ...details });
}

export function ackFrame(id: string): string {
  return JSON.stringify({ type: 'ack', id });
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

export function messageFrame(message: Message): string {
  return JSON.stringify({
    type: 'message',
    channel: message.channel,
    data: message.data,
    id: message.id,
    position: message.position,
    timestamp: message.timestamp,
  });
}
