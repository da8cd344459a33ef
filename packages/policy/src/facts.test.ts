import { describe, expect, it } from 'vitest';
import { testEvent } from './events.test-helper.js';
import { factListItems, factsOfStateEvent } from './facts.js';

describe('factsOfStateEvent', () => {
  it('reads fact.<name> attributes of a STATE event; an empty value retracts', () => {
    const event = testEvent({
      kind: 'STATE',
      attributes: [
        { key: 'fact.readers', value: 'crm-export,etl' },
        { key: 'fact.retention_hold', value: '' },
        { key: 'owner', value: 'ops' }, // not a fact
        { key: 'fact.Bad-Name', value: 'x' }, // not a fact name
        { key: `fact.${'a'.repeat(49)}`, value: 'x' }, // too long
      ],
    });
    expect(factsOfStateEvent(event)).toEqual([
      { name: 'readers', value: 'crm-export,etl' },
      { name: 'retention_hold', value: undefined },
    ]);
  });

  it('is empty for other kinds', () => {
    const attributes = [{ key: 'fact.readers', value: 'alice' }];
    expect(factsOfStateEvent(testEvent({ kind: 'ACCESS', attributes }))).toEqual([]);
    expect(factsOfStateEvent(testEvent({ kind: 'STORE', attributes }))).toEqual([]);
  });
});

describe('factListItems', () => {
  it('splits on commas, trims, drops empty items', () => {
    expect([...factListItems(' a, b ,,c ')]).toEqual(['a', 'b', 'c']);
    expect([...factListItems('')]).toEqual([]);
  });
});
