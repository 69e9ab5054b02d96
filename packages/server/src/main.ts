import 'reflect-metadata';
import { describeError, envString, isBusError } from '@app/core';
import type { Logger } from 'pino';
import { loadDriver } from './bus-factory.js';
import { AUTH_SETTINGS } from './auth/token-settings.js';
import { DEFAULT_CHANNELS_SETTING } from './auth/upgrade-auth.js';
import { AUTH_MODE_SETTING } from './auth/auth-mode.js';
import { CONFIG_SETTINGS, loadConfig, type ServerConfig } from './config.js';
import { helpText } from './help-text.js';
import { API_SETTINGS } from './http/api-keys.js';
import { createLogger } from './logger.js';
import { startServer, type RunningServer } from './start-server.js';

/** Prints one clear line instead of a stack trace: these are the operator's to fix, not bugs. */
function exitWithStartError(error: unknown): never {
  const prefix = isBusError(error) && error.reason === 'config' ? 'configuration error' : 'could not start';
  process.stderr.write(`${prefix}: ${describeError(error)}\n`);
  process.exit(1);
}

function handleSignals(server: RunningServer, logger: Logger, config: ServerConfig): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    server.close().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: describeError(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    const busName = envString(process.env, 'BUS', 'memory');
    const driver = await loadDriver(busName).catch(exitWithStartError);
    process.stdout.write(helpText([...CONFIG_SETTINGS, ...AUTH_SETTINGS, DEFAULT_CHANNELS_SETTING, AUTH_MODE_SETTING, ...API_SETTINGS], driver.name, driver.settings, busName));
    return;
  }
  let config: ServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    exitWithStartError(error);
  }
  const logger = createLogger(config);
  // Client input never throws out of a handler; anything that still does is a bug, so stop loudly.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: describeError(reason) }, 'unhandled rejection');
    process.exit(1);
  });
  const server = await startServer({ env: process.env, config, logger }).catch(exitWithStartError);
  handleSignals(server, logger, config);
}

await main();
