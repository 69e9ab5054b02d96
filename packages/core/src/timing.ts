import { BusError } from './errors.js';

/**
 * Races `work` against a timer. Resolves (or rejects) as `work` does when it settles first; on
 * timeout it rejects with a `timeout` BusError that names what was awaited.
 * The timer is cleared either way. `work` itself is not cancelled (client calls rarely can be), so callers make sure
 * a late result is harmless.
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, awaited: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BusError('timeout', `timed out after ${timeoutMs} ms waiting for ${awaited}`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`, or early when `signal` aborts; used for backoff between retries. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
