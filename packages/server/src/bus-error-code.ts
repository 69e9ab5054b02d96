import { describeError, isBusError } from '@app/core';
import type { ErrorCode } from './protocol.js';

/** Maps a bus failure to the protocol error code and text a client sees. */
export function busErrorCode(error: unknown): { code: ErrorCode; message: string } {
  if (!isBusError(error)) return { code: 'internal_error', message: 'internal error' };
  const message = describeError(error);
  switch (error.reason) {
    case 'invalid_channel':
    case 'invalid_data':
    case 'payload_too_large':
    case 'invalid_position':
    case 'position_expired':
      return { code: error.reason, message };
    // The server passes no subscribe option but `from`, so `unsupported` can only mean replay.
    case 'unsupported':
      return { code: 'replay_unsupported', message };
    case 'closed':
    case 'not_connected':
    case 'timeout':
    case 'overloaded':
    case 'broker':
    case 'unauthorized':
      return { code: 'bus_unavailable', message: `the message bus is unavailable, try again later (${message})` };
    default:
      return { code: 'internal_error', message: 'internal error' };
  }
}
