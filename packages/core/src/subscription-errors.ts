import type { BusLogger } from './logger.js';
import type { Message } from './message-bus.js';

/**
 * Hands an error that belongs to a subscription but to no call (a throwing broadcast handler, an
 * undecodable record) to the subscriber's `onError`, or logs it when there is none. An `onError`
 * that throws is logged too: it must never break delivery.
 */
export function reportSubscriptionError(
  onError: ((error: Error, message?: Message) => void) | undefined,
  logger: BusLogger,
  channel: string,
  error: Error,
  message?: Message,
): void {
  if (onError === undefined) {
    logger.warn({ channel, messageId: message?.id, err: error }, 'subscription error');
    return;
  }
  try {
    onError(error, message);
  } catch (callbackError) {
    logger.error({ channel, err: callbackError }, 'onError callback threw');
  }
}
