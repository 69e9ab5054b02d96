import type { BusLogger } from '@app/core';
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { KafkaClientLogLevel } from './options.js';

/** kafkajs's numeric levels for the names the options use. */
export const CLIENT_LOG_LEVELS: Readonly<Record<KafkaClientLogLevel, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * Sends kafkajs log entries to the bus logger, with kafkajs's fields as details. A producer
 * entry that says a request is retried (it carries `retryCount`) also goes to `onProducerRetry`:
 * kafkajs tells of retries in no other way, and a publish that times out names that cause.
 */
export function busLogCreator(logger: BusLogger, onProducerRetry: (message: string) => void = () => {}): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      if (namespace.includes('Producer') && 'retryCount' in extra) onProducerRetry(String(message).replace(/^Failed to send messages: /, ''));
      const details = { kafkajs: namespace, ...extra };
      const text = `kafkajs: ${String(message)}`;
      if (level === logLevel.ERROR) logger.error(details, text);
      else if (level === logLevel.WARN) logger.warn(details, text);
      else if (level === logLevel.INFO) logger.info(details, text);
      else logger.debug(details, text);
    };
}
