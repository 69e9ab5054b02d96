/**
 * The bus header that carries the publisher's `sub` from the publishing instance to every
 * instance that delivers the message, where it becomes the `user` field of the `message` frame.
 *
 * Set only by the server at publish time, from the verified token; a WebSocket `publish` frame has
 * no way to name headers (protocol.ts reads `channel`, `data` and `id` only), so a client cannot
 * forge it. Backend services that publish straight to the bus are trusted to leave it alone.
 */
export const USER_HEADER = 'realtime-user';
