import { describe, expect, it } from 'vitest';
import { BUILT_IN_DRIVERS, BusError, loadBusDriver, silentLogger } from '@app/core';

const importer = (specifier: string): Promise<unknown> => import(specifier);

async function loadError(bus: string, load = importer): Promise<BusError> {
  try {
    await loadBusDriver(bus, load);
  } catch (error) {
    if (error instanceof BusError) return error;
    throw error;
  }
  throw new Error('expected loadBusDriver to fail');
}

describe('driver registry', () => {
  it('maps built-in names to packages', () => {
    expect(BUILT_IN_DRIVERS).toMatchObject({ memory: '@app/driver-memory', kafka: '@app/driver-kafka', redis: '@app/driver-redis' });
  });

  it('loads a built-in driver through the caller’s importer, so it resolves from the caller', async () => {
    const asked: string[] = [];
    const fixture = new URL('./fixtures/fake-driver.ts', import.meta.url).href;
    const driver = await loadBusDriver('kafka', (specifier) => {
      asked.push(specifier);
      return importer(fixture);
    });
    expect(asked).toEqual(['@app/driver-kafka']);
    expect(driver.name).toBe('fixture');
    expect(() => driver.create({}, { logger: silentLogger })).toThrow(/makes no buses/);
  });

  it('loads another team’s driver package by name, from a default export', async () => {
    const driver = await loadBusDriver(new URL('./fixtures/fake-driver.ts', import.meta.url).href, importer);
    expect(driver.name).toBe('fixture');
  });

  it('explains an unknown BUS value', async () => {
    const error = await loadError('nats-or-something');
    expect(error.reason).toBe('config');
    expect(error.message).toContain('BUS=nats-or-something');
    expect(error.message).toContain('memory, kafka, redis');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('explains a package that is not a driver', async () => {
    const error = await loadError('not-a-driver', async () => ({ something: 1 }));
    expect(error.message).toContain('does not export a bus driver');
  });
});
