import { describe, expect, it } from 'vitest';
import { BusError, describeError, isBusError } from '@app/core';

describe('BusError', () => {
  it('keeps reason, cause and the default retryability of its reason', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new BusError('not_connected', 'broker down', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BusError');
    expect(error.reason).toBe('not_connected');
    expect(error.isRetryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(new BusError('timeout', 't').isRetryable).toBe(true);
    expect(new BusError('overloaded', 'o').isRetryable).toBe(true);
    // Documented as retryable (subscribe again with from), so it is by default, not only when a driver says so.
    expect(new BusError('position_expired', 'p').isRetryable).toBe(true);
    expect(new BusError('invalid_data', 'd').isRetryable).toBe(false);
    expect(new BusError('closed', 'c').isRetryable).toBe(false);
  });

  it('lets a driver override retryability', () => {
    expect(new BusError('broker', 'fatal', { retryable: false }).isRetryable).toBe(false);
    expect(new BusError('unauthorized', 'expired token', { retryable: true }).isRetryable).toBe(true);
  });

  it('is recognised across package copies by shape', () => {
    const foreign = Object.assign(new Error('x'), { name: 'BusError', reason: 'closed' });
    expect(isBusError(foreign)).toBe(true);
    expect(isBusError(new Error('plain'))).toBe(false);
    expect(isBusError('closed')).toBe(false);
    expect(describeError('text')).toBe('text');
    expect(describeError(new Error('msg'))).toBe('msg');
  });
});
