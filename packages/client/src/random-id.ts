/** 128 random bits as 32 hex digits: a publish `messageId` no other publish will pick. */
export function randomId(): string {
  let id = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(16))) id += (byte + 256).toString(16).slice(1);
  return id;
}
