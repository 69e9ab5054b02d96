import { delay } from '@app/core';

/**
 * Runs `work` again, with a growing pause, while it fails with an error kafkajs marks retriable
 * (a partition without a leader yet, a group coordinator still loading), for at most `timeoutMs`.
 * Such errors are normal for a moment after a topic is created or a broker restarts.
 */
export async function retryRetriable<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
    try {
      return await work();
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || Date.now() + pause > deadline) throw error;
      await delay(pause);
    }
  }
}
