import type { JsonValue } from './target.js';

/** What the parent asks of the child bus (see remote-runner.ts); every request is answered once by `id`. */
export type RemoteRequest =
  | { readonly id: number; readonly op: 'start'; readonly module: string; readonly export: string; readonly args: JsonValue }
  | { readonly id: number; readonly op: 'publish'; readonly channel: string; readonly data: JsonValue }
  | { readonly id: number; readonly op: 'subscribe'; readonly channel: string; readonly from?: string; readonly group?: string }
  | { readonly id: number; readonly op: 'close' };

/** A delivered message as it crosses the process boundary. */
export interface RemoteMessage {
  readonly id: string;
  readonly channel: string;
  readonly data: JsonValue;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
  readonly position: string;
  readonly attempt: number;
}

/** A failure inside the child, with the BusError fields when it was one. */
export interface RemoteFailure {
  readonly message: string;
  readonly reason?: string;
  readonly retryable?: boolean;
}

/** What the child sends: answers to requests, and deliveries of its subscriptions. */
export type RemoteReply =
  | { readonly kind: 'answer'; readonly id: number; readonly ok: true; readonly value: JsonValue }
  | { readonly kind: 'answer'; readonly id: number; readonly ok: false; readonly error: RemoteFailure }
  | { readonly kind: 'message'; readonly subscription: number; readonly message: RemoteMessage };
