import { loadBusDriver, silentLogger } from '@app/core';
import { expect, it } from 'vitest';

it('BUS=@app/driver-example: the registry loads the package by name and its driver makes a ready bus', async () => {
  const driver = await loadBusDriver('@app/driver-example', (specifier) => import(specifier));
  expect(driver.name).toBe('example');
  expect(driver.settings.map((setting) => setting.env)).toEqual(['EXAMPLE_HISTORY_PER_CHANNEL', 'EXAMPLE_MAX_PAYLOAD_BYTES']);
  const bus = await driver.create({ EXAMPLE_MAX_PAYLOAD_BYTES: '2048' }, { logger: silentLogger });
  expect(bus.status()).toBe('ready');
  expect(bus.limits.maxPayloadBytes).toBe(2048);
  await bus.close();
});
