/**
 * An unmasked WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1, then the payload length) holding
 * `text`. ws has no way to send one message to many sockets without framing it once per socket,
 * so the channel hub frames each message once and connections write these bytes as they are.
 * Valid only on connections without extensions; the server never negotiates any.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, 'utf8');
  return frame;
}
