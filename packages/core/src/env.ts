import { BusError } from './errors.js';

/** Environment-style configuration: `process.env` or a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

function present(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function bad(key: string, value: string, expected: string): BusError {
  return new BusError('config', `${key}=${JSON.stringify(value)} is not valid: expected ${expected}`);
}

/** A string setting, or `fallback` when unset or blank. */
export function envString(env: Env, key: string, fallback: string): string;
export function envString(env: Env, key: string): string | undefined;
export function envString(env: Env, key: string, fallback?: string): string | undefined {
  return present(env, key) ?? fallback;
}

/** A whole-number setting within `[min, max]`; throws a `config` error that names the key. */
export function envInt(env: Env, key: string, fallback: number, range: { min: number; max: number }): number {
  const value = present(env, key);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) {
    throw bad(key, value, `a whole number from ${range.min} to ${range.max}`);
  }
  return parsed;
}

/** A boolean setting: `true/false`, `1/0`, `yes/no`, `on/off`. */
export function envBool(env: Env, key: string, fallback: boolean): boolean {
  const value = present(env, key);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  throw bad(key, value, 'true or false');
}

/** One of a fixed set of values, compared case-insensitively. */
export function envChoice<T extends string>(env: Env, key: string, choices: readonly T[], fallback: T): T;
export function envChoice<T extends string>(env: Env, key: string, choices: readonly T[]): T | undefined;
export function envChoice<T extends string>(env: Env, key: string, choices: readonly T[], fallback?: T): T | undefined {
  const value = present(env, key);
  if (value === undefined) return fallback;
  const match = choices.find((choice) => choice.toLowerCase() === value.toLowerCase());
  if (match === undefined) throw bad(key, value, `one of ${choices.join(', ')}`);
  return match;
}

/** A comma-separated list, blanks dropped. */
export function envList(env: Env, key: string, fallback: readonly string[]): string[] {
  const value = present(env, key);
  if (value === undefined) return [...fallback];
  return value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}
