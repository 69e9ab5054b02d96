/**
 * Injection tokens: every dependency is resolved by one of these, never by a class, so that
 * tests and embedders can swap any part (the bus above all) without touching the server.
 */
export const CONFIG = Symbol('ServerConfig');
export const LOGGER = Symbol('Logger');
export const METRICS = Symbol('ServerMetrics');
export const BUS = Symbol('MessageBus');
export const CHANNEL_HUB = Symbol('ChannelHub');
/** `PresenceHub`: who is subscribed to each channel, across instances. */
export const PRESENCE_HUB = Symbol('PresenceHub');
export const HTTP_ROUTES = Symbol('HttpRoutes');
export const WS_SERVER = Symbol('WsServer');
/** The `node:http` Server the port is served by; it may already listen (answering 503 while the bus starts). */
export const HTTP_SERVER = Symbol('HttpServer');
/** `AuthMode`: the upgrade token check, or none (anonymous). */
export const AUTH = Symbol('AuthMode');
/** `ApiSettings`: the HTTP API's keys (none: the API is off) and whether /metrics needs one. */
export const API = Symbol('ApiSettings');
