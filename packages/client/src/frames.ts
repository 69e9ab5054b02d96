/**
 * Server frames as the client reads them (docs/protocol.md). Fields are optional because one
 * shape covers every frame type; the client reads only those its `type` has, and ignores frame
 * types and fields it does not know, as the protocol asks.
 */
export interface ServerFrame {
  readonly type: string;
  readonly id?: string;
  readonly channel?: string;
  readonly code?: string;
  readonly message?: string;
  readonly data?: unknown;
  readonly position?: string;
  readonly timestamp?: number;
  readonly user?: string;
  readonly instance?: string;
  readonly maxFrameBytes?: number;
  readonly messageId?: string;
  readonly members?: readonly { readonly user: string }[];
  readonly truncated?: boolean;
}

/** The frame in a text message, or undefined for anything that is not a JSON object with a string `type`. */
export function parseFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') return value as ServerFrame;
  } catch {
    // A frame that is not JSON cannot come from the server; dropping it is all there is to do.
  }
  return undefined;
}
