import { pino, type Logger } from 'pino';
import type { ServerConfig } from './config.js';

/** JSON logs to stdout, every line tagged with the instance so logs of many instances can be merged. */
export function createLogger(config: Pick<ServerConfig, 'logLevel' | 'instanceId'>): Logger {
  return pino({ level: config.logLevel, base: { instance: config.instanceId } });
}
