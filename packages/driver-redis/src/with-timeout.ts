import { BusError } from '@app/core';

/**
 * Races `work` against a timer. On timeout it rejects with a `timeout` BusError naming what was
 * awaited; `work` is not cancelled (a Redis command cannot be), so a late result must be harmless.
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

/** Resolves after `ms`, or early when `signal` aborts. */
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
