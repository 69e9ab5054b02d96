import { loadBusDriver, type BusDriver, type Env, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { describeDriverSettings } from './driver-settings.js';

/**
 * Loads the driver that `BUS` names and creates the bus. Drivers are imported dynamically, from
 * this package's dependencies, so the server never depends on a particular one in code.
 */
export async function loadDriver(bus: string): Promise<BusDriver> {
  return loadBusDriver(bus, (specifier) => import(specifier));
}

export async function createBus(busName: string, env: Env, logger: Logger): Promise<MessageBus> {
  const driver = await loadDriver(busName);
  logger.info({ driver: driver.name, settings: describeDriverSettings(driver.settings, env) }, 'creating message bus');
  return driver.create(env, { logger: logger.child({ component: 'bus', driver: driver.name }) });
}
