/**
 * `@app/client`: the realtime-bus WebSocket client for browsers and Node 22+. It reconnects with
 * backoff and resumes each channel with `since`, resends unacknowledged publishes with the same
 * `messageId`, drops duplicate messages, and refreshes its token before it expires.
 */
export { createClient } from './client.js';
export type { Client, ClientEvents, ClientState, PresenceSnapshot } from './client-api.js';
export { ClientError, type ClientErrorCode } from './client-error.js';
export type { ClientOptions } from './options.js';
export type { PublishResult } from './publish-queue.js';
export type { WebSocketConstructor, WebSocketEventLike, WebSocketLike } from './socket.js';
export type { GapEvent, Message, PresenceMember, SubscribeOptions, Subscription, SubscriptionEvents } from './subscription.js';
