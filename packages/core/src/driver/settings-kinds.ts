import { envBool, envChoice, envInt, envList, type Env } from '../env.js';
import { BusError } from '../errors.js';
import { maskUrlPasswords } from './settings-redaction.js';

/** What a setting holds. `duration` is a whole number of milliseconds. */
export type SettingKind = 'string' | 'integer' | 'duration' | 'boolean' | 'list' | 'choice';

/**
 * A problem with a value, phrased to follow "is not valid: " (e.g. `expected at most 100
 * characters`), or undefined when the value is fine. It must not repeat the value: the caller
 * shows it, masked when it is a secret or holds a URL password.
 */
export type SettingCheck<V> = (value: V) => string | undefined;

/** What every setting declares; `V` is the value's type. */
export interface SettingSpec<V> {
  /** The environment variable. Omit for an option only code sets: not read, not in `--help`. */
  readonly env?: string;
  /** One line for `--help` and docs. */
  readonly description: string;
  /** Used when the option and the variable are unset. Without one the resolved value may be undefined. */
  readonly default?: V;
  /** How `--help` shows the default when it is computed or absent, e.g. `min(3, live brokers)`. */
  readonly defaultText?: string;
  /** A password, token or key: never logged or shown, not even in error messages. */
  readonly secret?: boolean;
  /** `true`: only read from the environment (part of a nested option the driver builds); no factory option of this key. */
  readonly envOnly?: boolean;
}

/**
 * One row of a settings table, made by the {@link setting} builders. The type parameters only
 * drive inference: `D` whether there is a default, `O` whether it is a factory option, `E`
 * whether it has an environment variable.
 */
export interface Setting<V, D extends boolean = boolean, O extends boolean = boolean, E extends boolean = boolean> {
  readonly kind: SettingKind;
  readonly env: string | undefined;
  readonly description: string;
  readonly default: V | undefined;
  /** The default as `--help` shows it; `''` for none. */
  readonly defaultText: string;
  readonly secret: boolean;
  readonly hasDefault: D;
  readonly option: O;
  readonly hasEnv: E;
  /** Reads `name` from `env`: its value, else the default; throws `BusError` `config` naming the variable. */
  read(env: Env, name: string): V | undefined;
  /** Checks a value given in code: a phrase to follow the option's name (`must be ...`), or undefined. */
  problem(value: unknown): string | undefined;
}

/** Any row, whatever its value type. */
export type AnySetting = Setting<unknown>;

type Inferred<V, S extends SettingSpec<V>> = Setting<
  V,
  S extends { readonly default: V } ? true : false,
  S extends { readonly envOnly: true } ? false : true,
  S extends { readonly env: string } ? true : false
>;

function present(env: Env, name: string, raw: boolean): string | undefined {
  const value = raw ? env[name] : env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Shows a value in an error: never a secret, never a URL password. */
export function shownValue(value: unknown, secret: boolean): string {
  if (secret) return '<secret>';
  if (typeof value === 'string' || Array.isArray(value)) return maskUrlPasswords(JSON.stringify(value));
  return String(value);
}

function row<V>(
  kind: SettingKind,
  spec: SettingSpec<V>,
  parse: (env: Env, name: string, fallback: V | undefined) => V | undefined,
  problem: (value: unknown) => string | undefined,
  format: (value: V) => string = String,
): Setting<V> {
  const secret = spec.secret === true;
  return {
    kind,
    env: spec.env,
    description: spec.description,
    default: spec.default,
    defaultText: spec.defaultText ?? (spec.default === undefined ? '' : format(spec.default)),
    secret,
    hasDefault: spec.default !== undefined,
    option: spec.envOnly !== true,
    hasEnv: spec.env !== undefined,
    read(env, name) {
      try {
        return parse(env, name, spec.default);
      } catch (error) {
        // The core parsers quote the value: a secret's must not reach a log through the error.
        const value = env[name];
        if (!secret || !(error instanceof BusError) || value === undefined) throw error;
        throw new BusError('config', error.message.replace(JSON.stringify(value.trim()), '<secret>'));
      }
    },
    problem,
  };
}

function checked<V>(check: SettingCheck<V> | undefined, secret: boolean, name: string, value: V): V {
  const problem = check?.(value);
  if (problem !== undefined) throw new BusError('config', `${name}=${shownValue(value, secret)} is not valid: ${problem}`);
  return value;
}

/** A string setting. `raw`: take the variable as given (no trimming), e.g. a password. */
function string<const S extends SettingSpec<string> & { readonly check?: SettingCheck<string>; readonly raw?: boolean }>(spec: S): Inferred<string, S> {
  return row<string>(
    'string',
    spec,
    (env, name, fallback) => {
      const value = present(env, name, spec.raw === true);
      return value === undefined ? fallback : checked(spec.check, spec.secret === true, name, value);
    },
    (value) => {
      if (typeof value !== 'string') return 'must be a string';
      const problem = spec.check?.(value);
      return problem === undefined ? undefined : `is not valid: ${problem}`;
    },
  ) as Inferred<string, S>;
}

type IntegerSpec = SettingSpec<number> & { readonly min: number; readonly max?: number };

function wholeNumber(kind: 'integer' | 'duration', spec: IntegerSpec): Setting<number> {
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const expected = spec.max === undefined ? `a whole number of ${spec.min} or more` : `a whole number from ${spec.min} to ${max}`;
  return row<number>(
    kind,
    spec,
    (env, name, fallback) => (present(env, name, false) === undefined ? fallback : envInt(env, name, 0, { min: spec.min, max })),
    (value) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= spec.min && value <= max ? undefined : `must be ${expected}`),
  );
}

/** A whole number within `[min, max]` (`max` omitted: no upper bound). */
function integer<const S extends IntegerSpec>(spec: S): Inferred<number, S> {
  return wholeNumber('integer', spec) as Inferred<number, S>;
}

/** A whole number of milliseconds within `[min, max]`. */
function duration<const S extends IntegerSpec>(spec: S): Inferred<number, S> {
  return wholeNumber('duration', spec) as Inferred<number, S>;
}

/** `true/false`, `1/0`, `yes/no`, `on/off` in the environment; a boolean in code. */
function boolean<const S extends SettingSpec<boolean>>(spec: S): Inferred<boolean, S> {
  return row<boolean>(
    'boolean',
    spec,
    (env, name, fallback) => (present(env, name, false) === undefined ? fallback : envBool(env, name, false)),
    (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
  ) as Inferred<boolean, S>;
}

/** A comma-separated list (blanks dropped) in the environment; an array of strings in code. `check` sees the whole list. */
function list<const S extends SettingSpec<readonly string[]> & { readonly check?: SettingCheck<readonly string[]> }>(spec: S): Inferred<readonly string[], S> {
  return row<readonly string[]>(
    'list',
    spec,
    (env, name, fallback) =>
      present(env, name, false) === undefined ? fallback : checked(spec.check, spec.secret === true, name, envList(env, name, [])),
    (value) => {
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return 'must be an array of strings';
      const problem = spec.check?.(value);
      return problem === undefined ? undefined : `is not valid: ${problem}`;
    },
    (value) => value.join(','),
  ) as Inferred<readonly string[], S>;
}

/** One of `values`: compared case-insensitively in the environment, exactly in code. */
function choice<const T extends string, const S extends SettingSpec<NoInfer<T>>>(values: readonly T[], spec: S): Inferred<T, S> {
  return row<T>(
    'choice',
    spec,
    (env, name, fallback) => (present(env, name, false) === undefined ? fallback : envChoice(env, name, values)),
    (value) => (values.includes(value as T) ? undefined : `must be one of ${values.join(', ')}`),
  ) as Inferred<T, S>;
}

/**
 * Builders of settings-table rows, one per kind. Each takes a {@link SettingSpec} plus what the
 * kind needs (`min`/`max`, `values`, an optional `check`) and keeps the literal type of the spec,
 * so the table's resolved types know which values have a default.
 */
export const setting = { string, integer, duration, boolean, list, choice } as const;
