import type { BusLogger } from './logger.js';
import type { Message } from './message-bus.js';

/**
 * Hands an error that belongs to a subscription but to no call (a throwing broadcast handler, an
 * undecodable record, the `position_expired` that ends it) to the subscriber's `onError`, or logs
 * it as a warning when there is none. An `onError` that throws is logged as an error: it must
 * never break delivery. Returns nothing and never throws.
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
