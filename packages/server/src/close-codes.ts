/** WebSocket close codes the server sends; docs/protocol.md lists them with those ws sends itself. */
export const CLOSE_CODES = {
  /** The server is shutting down; reconnect (to another instance) with `since`. */
  goingAway: 1001,
  /** The connection's token reached `exp` (plus AUTH_CLOCK_TOLERANCE_S) without a `refresh`; reconnect with a new token and `since`. */
  tokenExpired: 4001,
  /** The client did not read fast enough and its outgoing buffer passed SEND_BUFFER_LIMIT_BYTES. */
  sendBufferFull: 4008,
  /** The client kept publishing after being answered `rate_limited` (see PUBLISH_RATE_PER_CONNECTION). */
  publishFlood: 4029,
} as const;
