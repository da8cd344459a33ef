import { describe, expect, it } from 'vitest';
import { sampleEvent, thrown } from '../event/event-samples.test-helper.js';
import { AGGREGATE_FORMAT_KEY, AGGREGATE_LEAVES_KEY, readRootEvent, rootEventFields } from './root-event.js';

const root = new Uint8Array(32).fill(7);

function rootEvent(overrides: Parameters<typeof sampleEvent>[0] = {}) {
  const fields = rootEventFields({ root, leafCount: 5 });
  return sampleEvent({ ...fields, inputs: [], outputs: [], parents: [], ...overrides });
}

describe('root events (docs/PROOFS.md §12)', () => {
  it('bind the root as a sha256 data imprint and the leaf count and format in attributes', () => {
    const fields = rootEventFields({ root, leafCount: 5 });
    expect(fields).toEqual({
      kind: 'STORE',
      data: { algorithm: 'sha256', digest: root },
      attributes: [
        { key: 'msi.aggregate.format', value: '1' },
        { key: 'msi.aggregate.leaves', value: '5' },
      ],
    });
    expect(readRootEvent(rootEvent())).toEqual({ root, leafCount: 5 });
  });

  it('allow other attributes and any actor, endpoints and time', () => {
    const event = rootEvent();
    const withMore = { ...event, attributes: [...event.attributes, { key: 'service', value: 'x' }] };
    expect(readRootEvent(withMore).leafCount).toBe(5);
  });

  it.each([
    ['another kind', { kind: 'STATE' as const }, 'kind is STATE'],
    [
      'a sha512 data imprint',
      { data: { algorithm: 'sha512' as const, digest: new Uint8Array(64) } },
      'sha512',
    ],
    ['no format', { attributes: [{ key: AGGREGATE_LEAVES_KEY, value: '5' }] }, 'missing'],
    [
      'format 2',
      {
        attributes: [
          { key: AGGREGATE_FORMAT_KEY, value: '2' },
          { key: AGGREGATE_LEAVES_KEY, value: '5' },
        ],
      },
      'is not 1',
    ],
    ['no leaf count', { attributes: [{ key: AGGREGATE_FORMAT_KEY, value: '1' }] }, 'leaves is missing'],
    [
      'leaf count 0',
      {
        attributes: [
          { key: AGGREGATE_FORMAT_KEY, value: '1' },
          { key: AGGREGATE_LEAVES_KEY, value: '0' },
        ],
      },
      'decimal',
    ],
    [
      'leaf count 05',
      {
        attributes: [
          { key: AGGREGATE_FORMAT_KEY, value: '1' },
          { key: AGGREGATE_LEAVES_KEY, value: '05' },
        ],
      },
      'decimal',
    ],
    [
      'leaf count 2^53',
      {
        attributes: [
          { key: AGGREGATE_FORMAT_KEY, value: '1' },
          { key: AGGREGATE_LEAVES_KEY, value: '9007199254740992' },
        ],
      },
      'decimal',
    ],
    [
      'an unknown msi.aggregate. attribute',
      {
        attributes: [
          ...rootEventFields({ root, leafCount: 5 }).attributes,
          { key: 'msi.aggregate.salt', value: 'x' },
        ],
      },
      'msi.aggregate.salt',
    ],
  ])('refuse %s', (_what, overrides, message) => {
    const error = thrown(() => readRootEvent(rootEvent(overrides)));
    expect(error).toMatchObject({ code: 'ROOT_EVENT_INVALID' });
    expect((error as Error).message).toContain(message);
  });

  it('accept the largest leaf count 2^53 - 1', () => {
    const attributes = [
      { key: AGGREGATE_FORMAT_KEY, value: '1' },
      { key: AGGREGATE_LEAVES_KEY, value: '9007199254740991' },
    ];
    expect(readRootEvent(rootEvent({ attributes })).leafCount).toBe(2 ** 53 - 1);
  });
});
