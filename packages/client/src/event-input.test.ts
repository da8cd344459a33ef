import { describe, expect, it } from 'vitest';
import { type EventFields, Events } from './event-input.js';

describe('Events', () => {
  it('each builder gives the fields with its kind, leaving the fields given unchanged', () => {
    const fields: EventFields = { data: `sha256:${'ab'.repeat(32)}`, actor: 'etl', attributes: { n: '1' } };
    const kinds = {
      store: 'STORE',
      access: 'ACCESS',
      delete: 'DELETE',
      state: 'STATE',
    } as const;
    for (const [builder, kind] of Object.entries(kinds)) {
      expect(Events[builder as keyof typeof kinds](fields)).toEqual({ ...fields, kind });
    }
    expect(Events.transfer({ ...fields, toTenant: 'other' })).toEqual({
      ...fields,
      toTenant: 'other',
      kind: 'TRANSFER',
    });
    expect(Events.process({ ...fields, inputs: [], outputs: [] })).toEqual({
      ...fields,
      inputs: [],
      outputs: [],
      kind: 'PROCESS',
    });
    expect(fields).not.toHaveProperty('kind');
  });

  it("the builder's kind wins over a kind in untyped fields", () => {
    const untyped = {
      data: `sha256:${'ab'.repeat(32)}`,
      actor: 'etl',
      kind: 'DELETE',
    } as unknown as EventFields;
    expect(Events.store(untyped).kind).toBe('STORE');
  });
});
