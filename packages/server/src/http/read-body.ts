import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too_large' | 'aborted' };

/**
 * Reads a request body of at most `limitBytes`. A `Content-Length` over the limit is refused
 * before anything is read; a body that grows past it while streaming (chunked, or a lying
 * length) is refused at the chunk that crosses it. Either way no more than `limitBytes` is ever
 * held: the rest is drained and dropped, which lets the 413 reach the client instead of a reset.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    request.resume();
    return Promise.resolve({ ok: false, reason: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAbort);
      request.off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        finish({ ok: false, reason: 'too_large' });
        // Keep reading, into nothing, so the socket is not left full.
        request.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ ok: false, reason: 'aborted' });
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onAbort);
    // 'close' before 'end': the client went away mid-body.
    request.on('close', onAbort);
  });
}
