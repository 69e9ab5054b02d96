import { describe, expect, it } from 'vitest';
import { BusError, envBool, envChoice, envInt, envList, envString } from '@app/core';

function configError(action: () => unknown): BusError {
  try {
    action();
  } catch (error) {
    if (error instanceof BusError) return error;
    throw error;
  }
  throw new Error('expected a config error');
}

describe('environment settings', () => {
  it('fall back to defaults when unset or blank', () => {
    expect(envInt({}, 'PORT', 8080, { min: 0, max: 65535 })).toBe(8080);
    expect(envInt({ PORT: '  ' }, 'PORT', 8080, { min: 0, max: 65535 })).toBe(8080);
    expect(envString({}, 'X', 'd')).toBe('d');
    expect(envString({}, 'X')).toBeUndefined();
    expect(envBool({}, 'B', true)).toBe(true);
    expect(envList({}, 'L', ['a'])).toEqual(['a']);
    expect(envChoice({}, 'C', ['a', 'b'], 'a')).toBe('a');
  });

  it('parse valid values', () => {
    expect(envInt({ PORT: '9000' }, 'PORT', 1, { min: 0, max: 65535 })).toBe(9000);
    expect(envBool({ B: 'off' }, 'B', true)).toBe(false);
    expect(envBool({ B: 'YES' }, 'B', false)).toBe(true);
    expect(envList({ L: 'h1:9092, h2:9092,,' }, 'L', [])).toEqual(['h1:9092', 'h2:9092']);
    expect(envChoice({ C: 'SCRAM-SHA-256' }, 'C', ['plain', 'scram-sha-256'])).toBe('scram-sha-256');
  });

  it('reject bad values with a config error that names the variable and what was expected', () => {
    for (const value of ['80a', '1.5', '70000', '-1']) {
      const error = configError(() => envInt({ PORT: value }, 'PORT', 1, { min: 0, max: 65535 }));
      expect(error.reason).toBe('config');
      expect(error.message).toContain('PORT=');
      expect(error.message).toContain('0 to 65535');
    }
    expect(configError(() => envBool({ B: 'maybe' }, 'B', true)).message).toContain('true or false');
    expect(configError(() => envChoice({ C: 'x' }, 'C', ['a', 'b'])).message).toContain('one of a, b');
  });
});
