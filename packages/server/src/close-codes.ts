/** WebSocket close codes the server sends; docs/protocol.md lists them with those ws sends itself. */
export const CLOSE_CODES = {
  /** The server is shutting down; reconnect (to another instance) with `since`. */
  goingAway: 1001,
  /** The client did not read fast enough and its outgoing buffer passed SEND_BUFFER_LIMIT_BYTES. */
  sendBufferFull: 4008,
} as const;
