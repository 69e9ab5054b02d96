import { describe, expect, it } from 'vitest';
import { SILENCED_MEMORY_TTLS, SilencedViews } from '../../src/presence/silenced-views.js';

describe('SilencedViews', () => {
  it('hands back the channels an incarnation was dropped from once, then forgets them; nothing for one never dropped', () => {
    const silenced = new SilencedViews(1000);
    silenced.remember('b.1', 'room:1', 0);
    silenced.remember('b.1', 'room:2', 10);
    silenced.remember('b.1', 'room:1', 20);
    expect(silenced.size).toBe(2);
    expect(silenced.recall('new.1')).toEqual([]);
    expect([...silenced.recall('b.1')].sort()).toEqual(['room:1', 'room:2']);
    expect(silenced.recall('b.1'), 'forgotten once recalled').toEqual([]);
    expect(silenced.size).toBe(0);
  });

  it(`forgets an incarnation ${SILENCED_MEMORY_TTLS} TTLs after its last drop`, () => {
    const silenced = new SilencedViews(1000);
    silenced.remember('b.1', 'room:1', 0);
    silenced.remember('c.1', 'room:1', 0);
    silenced.remember('c.1', 'room:2', 500);
    silenced.prune(2999);
    expect(silenced.size).toBe(3);
    silenced.prune(3000);
    expect(silenced.recall('b.1')).toEqual([]);
    expect(silenced.recall('c.1')).toEqual(['room:1', 'room:2']);
  });

  it('keeps at most the cap of pairs, forgetting the incarnations remembered first, never the one being added to', () => {
    const silenced = new SilencedViews(1000, 3);
    silenced.remember('b.1', 'room:1', 0);
    silenced.remember('c.1', 'room:1', 0);
    silenced.remember('c.1', 'room:2', 0);
    silenced.remember('d.1', 'room:1', 0);
    expect(silenced.size).toBe(3);
    expect(silenced.recall('b.1'), 'the first remembered went').toEqual([]);
    silenced.remember('d.1', 'room:2', 0);
    silenced.remember('d.1', 'room:3', 0);
    silenced.remember('d.1', 'room:4', 0);
    expect(silenced.size).toBe(3);
    expect(silenced.recall('d.1')).toEqual(['room:1', 'room:2', 'room:3']);
  });
});
