import { MAX_CHANNEL_LENGTH } from '@app/core';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHANNEL_PATTERNS,
  NO_CHANNEL_GRANTS,
  grantsFor,
  parseChannelGrants,
  parseDefaultChannelGrants,
  type Action,
} from '../../src/auth/channel-grants.js';

const CLAIM = 'the token\'s "channels" claim';

function access(claim: unknown, sub?: string) {
  return grantsFor(parseChannelGrants(claim, CLAIM), sub);
}

/** [channel, action, expected] rows checked against one claim. */
type Row = readonly [string, Action, boolean];

function check(claim: unknown, sub: string | undefined, rows: readonly Row[]): void {
  const granted = access(claim, sub);
  for (const [channel, action, expected] of rows) {
    expect({ channel, action, allowed: granted.allows(channel, action) }).toEqual({ channel, action, allowed: expected });
  }
}

describe('grantsFor', () => {
  it('grants exact channels only the listed actions', () => {
    check({ 'game:42': ['subscribe', 'publish'] }, undefined, [
      ['game:42', 'subscribe', true],
      ['game:42', 'publish', true],
      ['game:42', 'presence', false],
      ['game:43', 'subscribe', false],
      ['game:42:chat', 'subscribe', false],
      ['game', 'subscribe', false],
    ]);
  });

  it('grants ns:* on every channel of the namespace, the bare namespace included, and nothing beside it', () => {
    check({ 'chat:*': ['subscribe'] }, undefined, [
      ['chat:1', 'subscribe', true],
      ['chat:room:7', 'subscribe', true],
      // channelNamespace('chat') is 'chat', so the bare channel belongs to the namespace.
      ['chat', 'subscribe', true],
      ['chatx:1', 'subscribe', false],
      ['cha:1', 'subscribe', false],
      ['lobby:chat', 'subscribe', false],
      ['chat:1', 'publish', false],
    ]);
  });

  it('grants * on every channel', () => {
    check({ '*': ['presence'] }, undefined, [
      ['anything', 'presence', true],
      ['game:42:chat', 'presence', true],
      ['anything', 'subscribe', false],
    ]);
  });

  it('keeps actions apart and adds the actions of overlapping patterns', () => {
    check({ 'lobby:*': ['subscribe', 'presence'], 'lobby:main': ['publish'], '*': [] }, undefined, [
      ['lobby:main', 'subscribe', true],
      ['lobby:main', 'publish', true],
      ['lobby:main', 'presence', true],
      ['lobby:side', 'publish', false],
      ['lobby:side', 'presence', true],
      ['game:1', 'subscribe', false],
    ]);
  });

  it('substitutes the sub for {sub}, in any segment and any pattern kind', () => {
    const claim = { 'user:{sub}': ['subscribe'], '{sub}:*': ['publish'], 'dm:{sub}:{sub}': ['presence'] };
    check(claim, 'alice', [
      ['user:alice', 'subscribe', true],
      ['user:bob', 'subscribe', false],
      ['user:{sub}', 'subscribe', false],
      ['alice:inbox', 'publish', true],
      ['alice', 'publish', true],
      ['bob:inbox', 'publish', false],
      ['dm:alice:alice', 'presence', true],
    ]);
  });

  it('never widens access through a sub holding ":", "*" or other non-segment characters', () => {
    const claim = { 'user:{sub}': ['subscribe'], '{sub}:*': ['publish'] };
    const rows: readonly Row[] = [
      ['user:1', 'subscribe', false],
      ['user:1:admin', 'subscribe', false],
      ['user:x', 'subscribe', false],
      ['user:*', 'subscribe', false],
      ['1:x', 'publish', false],
      ['1', 'publish', false],
      ['x', 'publish', false],
    ];
    for (const sub of ['1:admin', '*', '1:*', ':', '', ' 1', 'a/b', 'ü']) check(claim, sub, rows);
  });

  it('grants nothing through {sub} patterns without a sub, but keeps the others', () => {
    check({ 'user:{sub}': ['subscribe'], 'lobby:main': ['subscribe'] }, undefined, [
      ['user:', 'subscribe', false],
      ['user:undefined', 'subscribe', false],
      ['lobby:main', 'subscribe', true],
    ]);
  });

  it('drops a {sub} pattern whose substitution is not a channel name', () => {
    check({ '{sub}:*': ['subscribe'], 'user:{sub}': ['subscribe'] }, '_hidden', [
      ['_hidden:1', 'subscribe', false],
      ['user:_hidden', 'subscribe', true],
    ]);
    const long = 'a'.repeat(MAX_CHANNEL_LENGTH);
    check({ 'user:{sub}': ['subscribe'] }, long, [[`user:${long}`, 'subscribe', false]]);
  });

  it('denies everything with no grants', () => {
    const none = grantsFor(NO_CHANNEL_GRANTS, 'alice');
    for (const action of ['subscribe', 'publish', 'presence'] as const) {
      expect(none.allows('user:alice', action)).toBe(false);
      expect(none.allows('lobby', action)).toBe(false);
    }
  });
});

describe('parseDefaultChannelGrants', () => {
  it('grants nothing when unset or blank', () => {
    expect(parseDefaultChannelGrants(undefined).size).toBe(0);
    expect(parseDefaultChannelGrants('  ').size).toBe(0);
    expect(grantsFor(parseDefaultChannelGrants(undefined), 'a').allows('a', 'subscribe')).toBe(false);
  });

  it('parses the same JSON as the claim', () => {
    const grants = parseDefaultChannelGrants('{"lobby:*": ["subscribe", "presence"]}');
    expect(grantsFor(grants, undefined).allows('lobby:1', 'presence')).toBe(true);
  });

  it('names AUTH_DEFAULT_CHANNELS when the text is not JSON or not grants', () => {
    expect(() => parseDefaultChannelGrants('{lobby')).toThrow(/^AUTH_DEFAULT_CHANNELS is not valid JSON: /);
    expect(() => parseDefaultChannelGrants('["lobby"]')).toThrow(
      'AUTH_DEFAULT_CHANNELS must be an object mapping channel patterns to arrays of actions, got an array',
    );
    expect(() => parseDefaultChannelGrants('{"lobby": ["join"]}')).toThrow(
      'AUTH_DEFAULT_CHANNELS: pattern "lobby": unknown action "join"; use subscribe, publish, presence',
    );
  });
});

describe('parseChannelGrants', () => {
  it('accepts the example of the issue, empty action lists and repeated actions', () => {
    const grants = parseChannelGrants(
      {
        'game:42': ['subscribe', 'publish'],
        'chat:*': ['subscribe'],
        'user:{sub}': ['subscribe'],
        'lobby:*': ['subscribe', 'presence'],
        quiet: [],
        twice: ['publish', 'publish'],
      },
      CLAIM,
    );
    expect([...grants.keys()]).toEqual(['game:42', 'chat:*', 'user:{sub}', 'lobby:*', 'quiet', 'twice']);
    expect([...(grants.get('twice') ?? [])]).toEqual(['publish']);
  });

  it('accepts up to the limits', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_CHANNEL_PATTERNS }, (_, i) => [`c:${i}`, ['subscribe']]));
    expect(parseChannelGrants(many, CLAIM).size).toBe(MAX_CHANNEL_PATTERNS);
    const longest = `${'n'.repeat(MAX_CHANNEL_LENGTH)}:*`;
    expect(parseChannelGrants({ [longest]: ['subscribe'] }, CLAIM).size).toBe(1);
  });

  const rejections: readonly (readonly [string, unknown, string | RegExp])[] = [
    ['null', null, `${CLAIM} must be an object mapping channel patterns to arrays of actions, got null`],
    ['an array', ['game:1'], 'got an array'],
    ['a string', '{"game:1":["publish"]}', 'got string'],
    ['a number', 7, 'got number'],
    ['a class instance', new Map([['game:1', ['publish']]]), 'got object'],
    [
      'too many patterns',
      Object.fromEntries(Array.from({ length: MAX_CHANNEL_PATTERNS + 1 }, (_, i) => [`c:${i}`, []])),
      `${CLAIM} has ${MAX_CHANNEL_PATTERNS + 1} patterns; the limit is ${MAX_CHANNEL_PATTERNS}`,
    ],
    ['an empty pattern', { '': ['subscribe'] }, `${CLAIM}: pattern "": a pattern must not be empty`],
    [
      'an over-long pattern',
      { ['a'.repeat(MAX_CHANNEL_LENGTH + 3)]: ['subscribe'] },
      `pattern "${'a'.repeat(40)}…": pattern is ${MAX_CHANNEL_LENGTH + 3} characters long; the limit is ${MAX_CHANNEL_LENGTH + 2}`,
    ],
    ['an over-long exact channel', { ['a'.repeat(MAX_CHANNEL_LENGTH + 1)]: ['subscribe'] }, /not a channel name or pattern \(channel is 201/],
    ['a suffix wildcard', { 'game*': ['subscribe'] }, `${CLAIM}: pattern "game*": "*" may only be the whole pattern ("*") or follow a namespace ("game:*")`],
    ['a prefix wildcard', { '*:42': ['subscribe'] }, 'pattern "*:42": "*" may only be the whole pattern'],
    ['a wildcard segment inside', { 'game:*:chat': ['subscribe'] }, 'pattern "game:*:chat": "*" may only be the whole pattern'],
    ['a double wildcard', { '**': ['subscribe'] }, 'pattern "**": "*" may only be the whole pattern'],
    ['a bare ":*"', { ':*': ['subscribe'] }, 'pattern ":*": not a channel name or pattern (channel must not be empty)'],
    ['a wildcard below a namespace', { 'game:42:*': ['subscribe'] }, `pattern "game:42:*": "*" may only follow a namespace, the first segment ("game:*", not "game:42:*")`],
    ['an invalid channel', { 'game 42': ['subscribe'] }, 'pattern "game 42": not a channel name or pattern (channel "game 42" is not valid'],
    ['an empty segment', { 'game::1': ['subscribe'] }, 'pattern "game::1": not a channel name or pattern'],
    ['an unknown placeholder', { 'user:{id}': ['subscribe'] }, 'pattern "user:{id}": not a channel name or pattern'],
    ['actions not an array', { 'game:1': 'subscribe' }, `${CLAIM}: pattern "game:1" must map to an array of action strings, got string`],
    ['actions an object', { 'game:1': { subscribe: true } }, 'pattern "game:1" must map to an array of action strings, got object'],
    ['a non-string action', { 'game:1': ['subscribe', 1] }, 'pattern "game:1" must map to an array of action strings, got an array holding number'],
    ['a null action', { 'game:1': [null] }, 'got an array holding null'],
    ['an unknown action', { 'game:1': ['subscribe', 'admin'] }, `${CLAIM}: pattern "game:1": unknown action "admin"; use subscribe, publish, presence`],
    ['an action in the wrong case', { 'game:1': ['Subscribe'] }, 'unknown action "Subscribe"'],
  ];

  it.each(rejections)('rejects %s', (_name, value, message) => {
    expect(() => parseChannelGrants(value, CLAIM)).toThrow(message);
  });
});

describe('ChannelAccess.allows', () => {
  it('does not validate the channel itself: the caller does, before asking', () => {
    const all = access({ '*': ['subscribe'] });
    expect(all.allows('not a channel', 'subscribe')).toBe(true);
    const some = access({ 'game:*': ['subscribe'] });
    expect(some.allows('', 'subscribe')).toBe(false);
  });
});
