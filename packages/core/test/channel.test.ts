import { describe, expect, it } from 'vitest';
import { BusError, MAX_CHANNEL_LENGTH, channelNamespace, channelProblem, defaultDeadLetterChannel, validateChannel } from '@app/core';

describe('channel names', () => {
  it.each(['lobby', 'game:42', 'game:42:chat', 'a', 'A_b-c.d:e_f', '9lives', 'x'.repeat(MAX_CHANNEL_LENGTH)])('accepts %s', (name) => {
    expect(channelProblem(name)).toBeUndefined();
    expect(() => validateChannel(name)).not.toThrow();
  });

  it.each([
    ['', 'must not be empty'],
    ['has space', 'not valid'],
    ['a::b', 'not valid'],
    [':lead', 'not valid'],
    ['trail:', 'not valid'],
    ['-dash', 'not valid'],
    ['.dot', 'not valid'],
    ['emoji:🎮', 'not valid'],
    ['x'.repeat(MAX_CHANNEL_LENGTH + 1), 'limit is 200'],
  ])('rejects %j with a message that says why', (name, expected) => {
    expect(channelProblem(name)).toContain(expected);
    expect(() => validateChannel(name)).toThrow(BusError);
  });

  it('rejects non-strings with reason invalid_channel', () => {
    let caught: unknown;
    try {
      validateChannel(42);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BusError);
    expect((caught as BusError).reason).toBe('invalid_channel');
    expect((caught as BusError).isRetryable).toBe(false);
  });

  it('splits the namespace and names the dead-letter channel', () => {
    expect(channelNamespace('game:42:chat')).toBe('game');
    expect(channelNamespace('lobby')).toBe('lobby');
    expect(defaultDeadLetterChannel('jobs:a')).toBe('dlq:jobs:a');
  });
});
