import type { Env } from './env.js';
import { BusError, describeError } from './errors.js';
import type { BusLogger } from './logger.js';
import type { MessageBus } from './message-bus.js';

/** One environment variable a driver reads, for documentation and start-up messages. */
export interface DriverSetting {
  /** The variable's name, e.g. `REDIS_URL`. */
  readonly env: string;
  /** The default as shown in `--help` and logged when the variable is unset; `''` for none. */
  readonly default: string;
  /** One line saying what the setting does. */
  readonly description: string;
  /**
   * `true`: the value is a secret (password, token, key) and is never logged or shown. When no
   * setting of a driver says `secret` either way (a driver written before this flag), the server
   * falls back to hiding settings whose name looks secret (`PASS`, `SECRET`, `TOKEN`, ...).
   */
  readonly secret?: boolean;
}

/** What a driver gets besides its configuration. */
export interface DriverContext {
  readonly logger: BusLogger;
}

/**
 * How a driver package plugs into `BUS=<name>`: it exports `driver` (or a default export) of
 * this shape. `create` reads its settings from `env` and throws a `BusError` with reason
 * `config` for a bad value, naming the variable.
 */
export interface BusDriver {
  readonly name: string;
  readonly settings: readonly DriverSetting[];
  create(env: Env, context: DriverContext): MessageBus | Promise<MessageBus>;
}

/** Identity helper that gives a driver definition its type. */
export function defineBusDriver(driver: BusDriver): BusDriver {
  return driver;
}

/** `BUS` values that name a driver shipped with this project, and the package behind each. */
export const BUILT_IN_DRIVERS: Readonly<Record<string, string>> = {
  memory: '@app/driver-memory',
  kafka: '@app/driver-kafka',
  redis: '@app/driver-redis',
};

/** Imports a module by specifier, resolved from the caller's package (pass `(s) => import(s)`). */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

function isBusDriver(value: unknown): value is BusDriver {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<BusDriver>;
  return typeof candidate.name === 'string' && typeof candidate.create === 'function' && Array.isArray(candidate.settings);
}

/**
 * Finds the driver that a `BUS` value names: a built-in name (`memory`, `kafka`, `redis`) or
 * the name of an installed package that exports a {@link BusDriver} as `driver` or default.
 * The importer is the caller's, so packages resolve from the caller's dependencies.
 */
export async function loadBusDriver(bus: string, importModule: ModuleImporter): Promise<BusDriver> {
  const specifier = BUILT_IN_DRIVERS[bus] ?? bus;
  let loaded: unknown;
  try {
    loaded = await importModule(specifier);
  } catch (error) {
    const known = Object.keys(BUILT_IN_DRIVERS).join(', ');
    throw new BusError(
      'config',
      `BUS=${bus}: could not load driver package "${specifier}" (${describeError(error)}). ` +
        `Use one of ${known}, or install a driver package and set BUS to its name.`,
      { cause: error },
    );
  }
  const module = loaded as { driver?: unknown; default?: unknown };
  const driver = isBusDriver(module.driver) ? module.driver : isBusDriver(module.default) ? module.default : undefined;
  if (driver === undefined) {
    throw new BusError('config', `BUS=${bus}: package "${specifier}" does not export a bus driver (expected "driver" or a default export with name, settings and create)`);
  }
  return driver;
}
