import { describe, expect, it } from 'vitest';
import { MemberSet } from '../../src/presence/member-set.js';
import { parsePresenceMessage, stateMessages, STATE_PART_USERS } from '../../src/presence/presence-messages.js';
import { RemoteViews } from '../../src/presence/presence-view.js';

describe('presence messages', () => {
  it('cut a large member list into parts of STATE_PART_USERS, each valid', () => {
    const users = Array.from({ length: STATE_PART_USERS * 2 + 1 }, (_, index) => `user-${index}`);
    const parts = stateMessages('a.1', users);
    expect(parts.map((part) => [part.type === 'state' && part.part, part.type === 'state' && part.parts, part.type === 'state' && part.users.length])).toEqual([
      [0, 3, STATE_PART_USERS],
      [1, 3, STATE_PART_USERS],
      [2, 3, 1],
    ]);
    for (const part of parts) expect(parsePresenceMessage(JSON.parse(JSON.stringify(part)))).toEqual(part);
    expect(stateMessages('a.1', [])).toEqual([{ v: 1, type: 'state', instance: 'a.1', users: [], part: 0, parts: 1 }]);
    // A state part of 500 users of the longest sub (128 characters) is about 65 KB: far below any payload limit.
    const longest = JSON.stringify(stateMessages('a.1', Array.from({ length: STATE_PART_USERS }, (_, index) => `${index}`.padEnd(128, 'x')))[0]);
    expect(longest.length).toBeLessThan(70_000);
  });

  it('say what is wrong with a message that is not one', () => {
    expect(parsePresenceMessage({ v: 1, type: 'state', instance: 'a', users: [], part: 1, parts: 1 })).toMatch(/part/);
    expect(parsePresenceMessage({ v: 1, type: 'state', instance: 'a', users: [], part: 0, parts: 0 })).toMatch(/part/);
    expect(parsePresenceMessage({ v: 1, type: 'leave', instance: 'a', user: 7 })).toMatch(/"user"/);
    expect(parsePresenceMessage({ v: 1, type: 'bye', instance: '' })).toMatch(/"instance"/);
    expect(parsePresenceMessage({ type: 'bye', instance: 'a' })).toMatch(/version/);
    expect(parsePresenceMessage({ v: 1, type: 'bye', instance: 'a', extra: true })).toEqual({ v: 1, type: 'bye', instance: 'a' });
    expect(parsePresenceMessage({ v: 1, type: 'alive', instance: 'a.1', users: ['ignored'] })).toEqual({ v: 1, type: 'alive', instance: 'a.1' });
    expect(parsePresenceMessage({ v: 1, type: 'alive' })).toMatch(/"instance"/);
    expect(parsePresenceMessage({ v: 1, type: 'hello', instance: 'a.1' })).toMatch(/unknown type "hello"/);
  });
});

describe('remote views', () => {
  function views(ttlMs = 1000, alive: readonly string[] = []) {
    const changes: string[] = [];
    const members = new MemberSet((user, present) => changes.push(`${present ? 'join' : 'leave'}:${user}`));
    const liveness = { keepsAlive: (instance: string) => alive.includes(instance) };
    return { views: new RemoteViews(members, ttlMs, liveness), members, changes };
  }

  it('list a user once across incarnations and the local source, and let it leave with the last', () => {
    const { views: remote, members, changes } = views();
    members.add('alice');
    remote.join('b.1', 'alice', 0);
    remote.state('b.2', ['alice', 'bob'], 0, 1, 0);
    expect(members.list(10)).toEqual({ users: ['alice', 'bob'], truncated: false });
    remote.drop('b.1');
    members.remove('alice');
    expect(changes).toEqual(['join:alice', 'join:bob']);
    remote.leave('b.2', 'alice', 1);
    expect(changes).toEqual(['join:alice', 'join:bob', 'leave:alice']);
  });

  it('expire at last heard plus the TTL, and forget a view that empties', () => {
    const { views: remote, changes } = views(1000);
    remote.join('b.1', 'bob', 0);
    remote.touch('b.1', 500);
    expect(remote.sweep(1499)).toEqual([]);
    expect(remote.sweep(1500)).toEqual(['b.1']);
    expect(changes).toEqual(['join:bob', 'leave:bob']);
    remote.join('c.1', 'carol', 2000);
    remote.leave('c.1', 'carol', 2000);
    expect(remote.size).toBe(0);
    remote.touch('d.1', 2000);
    expect(remote.size, 'a sync alone makes no view').toBe(0);
  });

  it('keep a view past its TTL while the liveness channel vouches for its incarnation', () => {
    const { views: remote, changes } = views(1000, ['b.1']);
    remote.join('b.1', 'bob', 0);
    remote.join('c.1', 'carol', 0);
    expect(remote.sweep(5000), 'only c.1, whose alives stopped').toEqual(['c.1']);
    expect(changes).toEqual(['join:bob', 'join:carol', 'leave:carol']);
    expect(remote.size).toBe(1);
  });

  it('after a re-follow, let listed users leave a TTL later unless a state or their own join confirms them, whatever alives say', () => {
    const { views: remote, changes } = views(1000, ['b.1', 'c.1']);
    remote.state('b.1', ['bob', 'bea'], 0, 1, 0);
    remote.state('c.1', ['cal'], 0, 1, 0);
    remote.refollowed(100);
    remote.join('b.1', 'bea', 200);
    remote.state('c.1', ['cal'], 0, 1, 500);
    expect(remote.sweep(1099)).toEqual([]);
    expect(changes).toEqual(['join:bob', 'join:bea', 'join:cal']);
    remote.sweep(1100);
    expect(changes, 'bob\'s leave was missed in the gap').toEqual(['join:bob', 'join:bea', 'join:cal', 'leave:bob']);
    remote.refollowed(2000);
    remote.sweep(3000);
    expect(changes.slice(4).sort(), 'nobody confirmed after the second gap').toEqual(['leave:bea', 'leave:cal']);
    expect(remote.size).toBe(0);
  });

  it('ignore a state part that comes out of order, and keep the previous list', () => {
    const { views: remote, members } = views();
    remote.state('b.1', ['a', 'b'], 0, 1, 0);
    remote.state('b.1', ['x'], 1, 2, 0);
    expect(members.list(10).users).toEqual(['a', 'b']);
    remote.state('b.1', ['x'], 0, 2, 0);
    remote.state('b.1', ['y'], 0, 1, 0);
    expect(members.list(10).users).toEqual(['y']);
  });
});
