import type { Env } from '../env.js';
import { BusError } from '../errors.js';
import type { BusLogger } from '../logger.js';
import type { DriverSetting } from '../registry.js';
import { shownValue, type AnySetting, type Setting } from './settings-kinds.js';
import { describeSettings } from './settings-redaction.js';

/** A driver's settings: option key to row, made with the `setting` builders. */
export type SettingsShape = Readonly<Record<string, AnySetting>>;

type ValueOf<S> = S extends Setting<infer V> ? V : never;
type Resolved<S> = S extends Setting<infer V, true> ? V : ValueOf<S> | undefined;

/** The options a factory takes that the table covers: every key optional (rows marked `envOnly` left out). */
export type SettingsOptions<T extends SettingsShape> = {
  readonly [K in keyof T as T[K] extends Setting<unknown, boolean, true> ? K : never]?: ValueOf<T[K]>;
};

/** Those options with defaults applied: a row without a default may stay undefined. */
export type ResolvedSettings<T extends SettingsShape> = {
  readonly [K in keyof T as T[K] extends Setting<unknown, boolean, true> ? K : never]: Resolved<T[K]>;
};

/**
 * What the environment yields: every row with a variable, `envOnly` ones included. A row with a
 * default is always there; one without is present only when its variable is set.
 */
export type EnvSettings<T extends SettingsShape> = {
  readonly [K in keyof T as T[K] extends Setting<unknown, true, boolean, true> ? K : never]: ValueOf<T[K]>;
} & {
  readonly [K in keyof T as T[K] extends Setting<unknown, false, boolean, true> ? K : never]?: ValueOf<T[K]>;
};

/** One table of a driver's settings, and everything derived from it. */
export interface SettingsTable<T extends SettingsShape> {
  /** The rows as declared. */
  readonly rows: T;
  /** The rows with a variable, in table order: the driver's `settings` for `--help` and the start-up log. */
  readonly settings: readonly DriverSetting[];
  /**
   * Reads every variable of the table from `env` (blank counts as unset), defaults applied.
   * Throws `BusError` reason `config` naming the first bad variable and what was expected; a
   * secret's value is never in the message, and a URL's password is masked.
   */
  fromEnv(env: Env): EnvSettings<T>;
  /**
   * Checks options given in code and applies the defaults: what a flat options object needs
   * from a factory. Throws `BusError` reason `invalid_options` as `<factory>: <key> must be ...`.
   * Only rows that are factory options (not `envOnly`) are read, and keys outside the table are
   * ignored: a driver whose options are nested (Kafka's `sasl`, `ssl`) builds those itself.
   * Cross-field rules (one timeout below another) are the driver's too. The one option outside
   * the table every factory takes, `logger`, is checked here as well: when given, it must be an
   * object with `debug`, `info`, `warn` and `error` functions (a string or a half logger would
   * otherwise fail later, mid delivery, with a TypeError); the driver still applies its default.
   */
  resolve(options: SettingsOptions<T>, factory: string): ResolvedSettings<T>;
  /** {@link describeSettings} over this table: effective values for the start-up log, secrets masked. */
  describe(env: Env): Record<string, string>;
}

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/** Throws `invalid_options` unless `value` is undefined or has every {@link BusLogger} method. */
function assertLogger(value: unknown, factory: string): void {
  if (value === undefined) return;
  const methods = value !== null && typeof value === 'object' ? (value as Readonly<Record<string, unknown>>) : undefined;
  const missing = methods === undefined ? LOGGER_METHODS : LOGGER_METHODS.filter((name) => typeof methods[name] !== 'function');
  if (missing.length === 0) return;
  const got = methods === undefined ? (value === null ? 'null' : typeof value) : `an object without ${missing.join(', ')}`;
  throw new BusError('invalid_options', `${factory}: logger must be an object with debug, info, warn and error functions (pino's form), got ${got}`);
}

/**
 * Declares a driver's settings once. Each row's key is the factory option; its `env` (if any) the
 * variable `BUS=<driver>` reads. The types of `fromEnv` and `resolve` are inferred from the rows.
 * Throws (a plain `Error`, at module load) when a row's own default fails its checks.
 *
 * ```ts
 * const SETTINGS = defineSettings({
 *   url: setting.string({ env: 'ECHO_URL', default: 'echo://localhost', description: 'Where the echo server is.' }),
 *   token: setting.string({ env: 'ECHO_TOKEN', description: 'Access token.', secret: true }),
 *   retries: setting.integer({ default: 3, min: 0, max: 10, description: 'Code-only option.' }),
 * });
 * SETTINGS.fromEnv(process.env); // { url: string; token?: string }
 * ```
 */
export function defineSettings<const T extends SettingsShape>(rows: T): SettingsTable<T> {
  const entries = Object.entries(rows);
  for (const [key, row] of entries) {
    const problem = row.default === undefined ? undefined : row.problem(row.default);
    if (problem !== undefined) throw new Error(`settings table: the default of ${key} ${problem}`);
  }
  const settings: DriverSetting[] = [];
  for (const [, row] of entries) {
    if (row.env !== undefined) settings.push({ env: row.env, default: row.defaultText, description: row.description, secret: row.secret });
  }
  return {
    rows,
    settings,
    fromEnv(env) {
      const values: Record<string, unknown> = {};
      for (const [key, row] of entries) {
        if (row.env === undefined) continue;
        const value = row.read(env, row.env);
        if (value !== undefined) values[key] = value;
      }
      return values as EnvSettings<T>;
    },
    resolve(options, factory) {
      // A BusError, not the TypeError reading a field of null would give (every factory's rule).
      if (options === null || typeof options !== 'object') {
        throw new BusError('invalid_options', `${factory}: options must be an object, got ${options === null ? 'null' : typeof options}`);
      }
      const given = options as Readonly<Record<string, unknown>>;
      assertLogger(given['logger'], factory);
      const values: Record<string, unknown> = {};
      for (const [key, row] of entries) {
        if (!row.option) continue;
        const value = given[key];
        if (value === undefined) {
          values[key] = row.default;
          continue;
        }
        const problem = row.problem(value);
        if (problem !== undefined) throw new BusError('invalid_options', `${factory}: ${key} ${problem}, got ${shownValue(value, row.secret)}`);
        values[key] = value;
      }
      return values as ResolvedSettings<T>;
    },
    describe(env) {
      return describeSettings(settings, env);
    },
  };
}
