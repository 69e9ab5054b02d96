/**
 * Injection tokens: every dependency is resolved by one of these, never by a class, so that
 * tests and embedders can swap any part without touching the server: register a replacement in
 * a child container (`container.createChildContainer()` from tsyringe) and pass it to
 * `startServer({ container })`; the server registers its defaults only under tokens that
 * container does not hold. `CONFIG`, `METRICS`, `AUTH`, `API` and `HTTP_SERVER` are not parts:
 * they come from `startServer`'s options and environment, and its own scope always holds them.
 */
export const CONFIG = Symbol('ServerConfig');
/** The pino `Logger`. */
export const LOGGER = Symbol('Logger');
export const METRICS = Symbol('ServerMetrics');
/** The `MessageBus`. One registered in the container given to `startServer` stays the caller's: the server does not close it. */
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
/** `Clock`: the time token expiry, publish rates and presence TTLs are measured in. Default: `systemClock`. */
export const CLOCK = Symbol('Clock');
/** `ConnectionFactory`: how a `Connection` is made for an accepted socket. */
export const CONNECTION_FACTORY = Symbol('ConnectionFactory');
/** `ChannelFactory`: how a client's channel resumed with `since` (a `ClientChannel`) is made. */
export const CHANNEL_FACTORY = Symbol('ChannelFactory');
