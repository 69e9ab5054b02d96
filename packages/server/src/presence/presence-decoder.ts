import { describeError, type Message } from '@app/core';
import type { Logger } from 'pino';
import type { ServerMetrics } from '../metrics.js';
import { LogThrottle } from './log-throttle.js';
import { parsePresenceMessage, type PresenceMessage } from './presence-messages.js';

const LOG_INTERVAL_MS = 10_000;

/**
 * Reads presence messages off the bus, for the channel follows and the liveness follow alike. A
 * bad one (anyone may have published it, or a newer instance a type this one does not know) is
 * counted in `realtime_presence_messages_ignored_total`, logged at most once per 10 s at `warn`
 * (the rest at `debug`), and comes back undefined.
 */
export class PresenceDecoder {
  private readonly badMessages: LogThrottle;

  constructor(
    private readonly metrics: ServerMetrics,
    logger: Logger,
  ) {
    this.badMessages = new LogThrottle(logger, LOG_INTERVAL_MS);
  }

  decode(message: Message): PresenceMessage | undefined {
    let parsed: PresenceMessage | string;
    try {
      parsed = parsePresenceMessage(message.data);
    } catch (error) {
      parsed = `undecodable: ${describeError(error)}`;
    }
    if (typeof parsed !== 'string') return parsed;
    this.metrics.presenceIgnored.inc();
    this.badMessages.warn({ channel: message.channel, messageId: message.id, problem: parsed }, 'ignored a bad presence message');
    return undefined;
  }
}
