import { CodedError } from '@msi/core';

/**
 * Why an OpenLineage RunEvent was refused before it reached ingest's pipeline (docs/OPENLINEAGE.md,
 * "Refusals"). `field` is the JSON path into the RunEvent (`outputs[1].facets.msi_contentHash.imprint`),
 * or `body` for the request as a whole.
 */
export type LineageErrorCode =
  /** The body is not a JSON object. */
  | 'BODY_NOT_JSON'
  /** The body is over the limit. */
  | 'BODY_TOO_LARGE'
  /** Content-Type is not application/json. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** A field MSI reads is missing, of the wrong type or not of its format. */
  | 'INVALID_FIELD'
  /** A dataset has no `msi_contentHash` facet: MSI anchors content, never names. */
  | 'CONTENT_HASH_MISSING'
  /** The `msi_contentHash` facet is there but not an imprint MSI accepts. */
  | 'CONTENT_HASH_INVALID'
  /** A value that travels as an attribute is over the attribute value limit (docs/PROOFS.md §4). */
  | 'VALUE_TOO_LONG'
  /** A COMPLETE event with neither inputs nor outputs: there is no content to anchor. */
  | 'NO_DATASETS'
  /** The datasets need more chained events than one RunEvent may become. */
  | 'TOO_MANY_DATASETS';

export class LineageError extends CodedError<LineageErrorCode> {
  override readonly name = 'LineageError';
  constructor(
    code: LineageErrorCode,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
