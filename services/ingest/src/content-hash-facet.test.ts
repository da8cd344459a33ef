import { readFileSync } from 'node:fs';
import { formatImprint, HASH_ALGORITHMS } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { CONTENT_HASH_FACET, contentHashOf } from './content-hash-facet.js';
import { LineageError } from './lineage-error.js';
import { lineageExample } from './lineage-testdata.test-helper.js';

/** The published JSON schema of the facet (docs/openlineage/). */
const schema = JSON.parse(
  readFileSync(new URL('../../../docs/openlineage/MsiContentHashDatasetFacet.json', import.meta.url), 'utf8'),
) as {
  $defs: {
    MsiContentHashDatasetFacet: {
      allOf: [unknown, { properties: { imprint: { pattern: string } }; required: string[] }];
    };
  };
  properties: Record<string, unknown>;
};
const facetSchema = schema.$defs.MsiContentHashDatasetFacet.allOf[1];
const pattern = new RegExp(facetSchema.properties.imprint.pattern);
const facet = (imprint: string) => ({
  [CONTENT_HASH_FACET]: { _producer: 'https://msi.dev/test', _schemaURL: 'https://msi.dev/s', imprint },
});
const accepts = (imprint: string) => {
  try {
    contentHashOf(facet(imprint), 'outputs[0]');
    return true;
  } catch (error: unknown) {
    if (error instanceof LineageError) return false;
    throw error;
  }
};

describe('the msi_contentHash facet', () => {
  it('is named in the published schema as the reader reads it, imprint required', () => {
    expect(Object.keys(schema.properties)).toEqual([CONTENT_HASH_FACET]);
    expect(facetSchema.required).toEqual(['imprint']);
  });

  it('has a pattern that accepts what the reader accepts, algorithm by algorithm', () => {
    for (const { name, digestSize, accepted } of HASH_ALGORITHMS) {
      const imprint = `${name}:${'0a'.repeat(digestSize)}`;
      expect([name, pattern.test(imprint)]).toEqual([name, accepted]);
      expect([name, accepts(imprint)]).toEqual([name, accepted]);
    }
    expect(accepts(`SHA256:${'0a'.repeat(32)}`)).toBe(pattern.test(`SHA256:${'0a'.repeat(32)}`));
  });

  it('reads every facet of the examples (testdata), each matching the schema', () => {
    for (const name of ['dbt-run-complete', 'spark-job', 'minimal-complete'] as const) {
      const event = lineageExample(name);
      for (const list of ['inputs', 'outputs'] as const) {
        for (const [i, dataset] of (
          (event[list] ?? []) as { facets: Record<string, { imprint: string }> }[]
        ).entries()) {
          const text = dataset.facets[CONTENT_HASH_FACET]?.imprint ?? '';
          expect(pattern.test(text)).toBe(true);
          expect(formatImprint(contentHashOf(dataset.facets, `${list}[${i}]`))).toBe(text.toLowerCase());
        }
      }
    }
  });
});
