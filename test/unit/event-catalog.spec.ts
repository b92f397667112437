import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG, EVENT_TYPES, eventTypeInfo, TEST_EVENT_TYPE } from '../../src/events/event-catalog';
import { newEventId } from '../../src/events/event-id';
import { waitFor } from '../support/wait';

describe('event catalog', () => {
  const subjects = ['team', 'investment', 'valuation', 'memo', 'assumption', 'pipeline'];

  it('has the 18 types: six subjects × created, updated, deleted', () => {
    const expected = subjects.flatMap((s) => ['created', 'updated', 'deleted'].map((a) => `${s}.${a}`));
    expect([...EVENT_TYPES].sort()).toEqual(expected.sort());
    expect(new Set(EVENT_TYPES).size).toBe(18);
  });

  it('describes each type and names the CASL subject that scopes who receives it', () => {
    const casl: Record<string, string> = {
      team: 'Team',
      investment: 'Investment',
      valuation: 'Valuation',
      memo: 'Memo',
      assumption: 'Assumption',
      pipeline: 'Pipeline',
    };
    for (const info of EVENT_CATALOG) {
      const [subject, action] = info.type.split('.');
      expect(info.subject).toBe(subject);
      expect(info.caslSubject).toBe(casl[subject]);
      expect(info.description).toBe(`Action taken when ${subject === 'investment' || subject === 'assumption' ? 'an' : 'a'} ${casl[subject]} is ${action}`);
      expect(eventTypeInfo(info.type)).toBe(info);
    }
  });

  it('knows no other type; the test event is not in the catalog', () => {
    expect(eventTypeInfo(TEST_EVENT_TYPE)).toBeUndefined();
    expect(eventTypeInfo('investment.archived')).toBeUndefined();
    expect(eventTypeInfo('constructor')).toBeUndefined();
    expect(EVENT_TYPES).not.toContain(TEST_EVENT_TYPE);
  });
});

describe('event ids', () => {
  it('are evt_ + a ULID, unique, and sort in creation order', () => {
    const ids = Array.from({ length: 5_000 }, () => newEventId());
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carry 80 random bits: fresh randomness per millisecond, every letter of the alphabet drawn', async () => {
    const randoms = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const at = Date.now();
      randoms.add(newEventId().slice(14));
      await waitFor(() => Date.now() > at, 1_000, () => 'the clock to move');
    }
    expect(randoms.size).toBe(100);
    const letters = new Set([...randoms].join(''));
    expect(letters.size).toBe(32);
  });

  it('carry their creation time in the first 10 ULID characters', async () => {
    const first = newEventId();
    const at = Date.now();
    await waitFor(() => Date.now() > at, 1_000, () => 'the clock to move'); // the next millisecond, not a fixed pause
    const second = newEventId();
    expect(second.slice(4, 14) > first.slice(4, 14)).toBe(true);
  });
});
