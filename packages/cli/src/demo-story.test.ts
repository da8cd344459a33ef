import { describe, expect, it } from 'vitest';
import {
  CUSTOMER_READERS,
  type DemoItem,
  demoFiles,
  emitArgs,
  STORY,
  type StoryEvent,
} from './demo-story.js';

const IMPRINTS: Record<DemoItem, string> = {
  customers: `sha256:${'1'.repeat(64)}`,
  orders: `sha256:${'2'.repeat(64)}`,
  config: `sha256:${'3'.repeat(64)}`,
  derived: `sha256:${'4'.repeat(64)}`,
};

describe('the demo story', () => {
  it('names every parent before it is used, and yields emit flags for each event', () => {
    const ids = new Map<string, string>();
    let n = 0;
    for (const event of STORY.flatMap((step) => step.events)) {
      const args = emitArgs(event, IMPRINTS, ids);
      expect(args.slice(0, 6)).toEqual([
        '--kind',
        event.kind,
        '--data',
        IMPRINTS[event.data],
        '--actor',
        event.actor,
      ]);
      expect(args.filter((a) => a === '--parent')).toHaveLength(event.parents?.length ?? 0);
      ids.set(event.name, `01a210c3-0000-7000-8000-${String(n++).padStart(12, '0')}`);
    }
    expect(ids.size).toBe(STORY.flatMap((step) => step.events).length);
  });

  it('has the PROCESS lineage and the four violations', () => {
    const events = STORY.flatMap((step) => step.events);
    const process = events.find((e) => e.kind === 'PROCESS');
    expect(process?.inputs).toEqual(['customers', 'orders']);
    expect(process?.outputs).toEqual(['derived']);
    expect(events.filter((e) => e.violation !== undefined).map((e) => e.actor)).toEqual([
      'backup-sync',
      'mallory',
      'reporting-job',
      'msi-agent',
    ]);
    expect(events.filter((e) => e.alert !== undefined).map((e) => [e.actor, e.alert])).toEqual([
      ['backup-sync', 'pii-outside-allowed-regions'],
      ['mallory', 'reader-not-allowed'],
      ['reporting-job', 'use-after-delete'],
      ['msi-agent', 'frozen-path-changed'],
    ]);
    const deleteAt = events.findIndex((e) => e.kind === 'DELETE');
    expect(events.slice(deleteAt + 1).some((e) => e.kind === 'ACCESS' && e.data === 'customers')).toBe(true);
  });

  it("declares the customer export's readers before anyone reads it: mallory is not one, the others are", () => {
    const events = STORY.flatMap((step) => step.events);
    const declared = events.findIndex((e) => e.kind === 'STATE' && e.data === 'customers');
    expect(declared).toBeGreaterThan(0);
    expect(emitArgs(events[declared] as StoryEvent, IMPRINTS, new Map([['store-customers', 'x']]))).toContain(
      `fact.readers=${CUSTOMER_READERS.join(',')}`,
    );
    const readers = events.filter((e) => e.kind === 'ACCESS' && e.data === 'customers');
    expect(events.indexOf(readers[0] as StoryEvent)).toBeGreaterThan(declared);
    expect(readers.filter((e) => !CUSTOMER_READERS.includes(e.actor)).map((e) => e.actor)).toEqual([
      'mallory',
    ]);
  });

  it('refuses a parent that was not emitted yet', () => {
    const process = STORY.flatMap((step) => step.events).find((e) => e.kind === 'PROCESS');
    if (process === undefined) throw new Error('no PROCESS event');
    expect(() => emitArgs(process, IMPRINTS, new Map())).toThrow(/parent "store-customers"/);
  });

  it('generates content unique to a run', () => {
    expect(demoFiles('a').customers.text).not.toBe(demoFiles('b').customers.text);
  });
});
