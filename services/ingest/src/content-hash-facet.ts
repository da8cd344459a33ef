import { type Imprint, ImprintError, parseImprintText } from '@msi/core';
import { LineageError } from './lineage-error.js';

/** The dataset facet that carries a dataset's content hash (docs/OPENLINEAGE.md, "The content-hash facet"). */
export const CONTENT_HASH_FACET = 'msi_contentHash';

/**
 * The imprint a dataset's `msi_contentHash` facet names (hostile input). `facets` is the dataset's
 * `facets` value, `path` its JSON path (`inputs[0]`). Throws LineageError: CONTENT_HASH_MISSING
 * without the facet, INVALID_FIELD / CONTENT_HASH_INVALID naming the facet's field otherwise.
 */
export function contentHashOf(facets: unknown, path: string): Imprint {
  const at = `${path}.facets.${CONTENT_HASH_FACET}`;
  const facet = isObject(facets) ? facets[CONTENT_HASH_FACET] : undefined;
  if (facet === undefined) {
    throw new LineageError(
      'CONTENT_HASH_MISSING',
      at,
      `${at} is missing: every dataset needs the msi_contentHash facet with the imprint of its content (MSI anchors content, never names)`,
    );
  }
  if (!isObject(facet)) throw new LineageError('INVALID_FIELD', at, `${at} must be an object`);
  for (const key of ['_producer', '_schemaURL'] as const) {
    const value = facet[key];
    if (typeof value !== 'string' || value === '') {
      throw new LineageError('INVALID_FIELD', `${at}.${key}`, `${at}.${key} must be a non-empty string`);
    }
  }
  const imprint = facet.imprint;
  if (typeof imprint !== 'string') {
    throw new LineageError(
      'CONTENT_HASH_INVALID',
      `${at}.imprint`,
      `${at}.imprint must be a string <algorithm>:<hex digest>, e.g. sha256:9f86d0…`,
    );
  }
  try {
    return parseImprintText(imprint);
  } catch (error: unknown) {
    if (!(error instanceof ImprintError)) throw error;
    throw new LineageError(
      'CONTENT_HASH_INVALID',
      `${at}.imprint`,
      `${at}.imprint is not an accepted imprint (${error.code}: ${error.message})`,
      { cause: error },
    );
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
