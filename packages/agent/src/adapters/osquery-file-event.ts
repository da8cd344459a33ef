import { type EventInput, formatImprint, hashBytes } from '@msi/client';
import { AdapterError, attributesOf, objectOf, parseRecord, textOf } from './record-fields.js';

const CHANGES: Readonly<Record<string, string>> = {
  CREATED: 'created',
  UPDATED: 'modified',
  ATTRIBUTES_MODIFIED: 'metadata',
  MOVED_TO: 'created',
  MOVED_FROM: 'deleted',
  DELETED: 'deleted',
};
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * One line of osquery's results log (the `file_events` query, event or differential format) as an
 * MSI event: STATE with the file's SHA-256 (osquery's `sha256` column) as its data, DELETE when the
 * file was deleted or moved away; the host is osquery's `hostIdentifier`. When osquery did not hash
 * the file (hashing off, or a deletion), the record itself is anchored as the data (its UTF-8 bytes),
 * with `osquery.record_hash=true`. The line is untrusted input: AdapterError when it is not a
 * file_events record.
 */
export function osqueryFileEvent(line: string, o: { actor?: string } = {}): EventInput {
  const record = parseRecord(line, 'an osquery');
  if (textOf(record, 'name') !== 'file_events') {
    throw new AdapterError(
      'UNSUPPORTED',
      `not a file_events result (query "${textOf(record, 'name') ?? '?'}")`,
    );
  }
  const columns = objectOf(record, 'columns');
  const path = textOf(columns, 'target_path');
  const action = textOf(columns, 'action') ?? '';
  const change = CHANGES[action];
  if (columns === undefined || path === undefined || change === undefined) {
    throw new AdapterError(
      'NOT_A_RECORD',
      'a file_events result needs columns.target_path and a known columns.action',
    );
  }
  const sha256 = textOf(columns, 'sha256')?.toLowerCase();
  const hashed = sha256 !== undefined && SHA256_HEX.test(sha256);
  const seconds = Number(textOf(columns, 'time') ?? textOf(record, 'unixTime'));
  return {
    kind: change === 'deleted' ? 'DELETE' : 'STATE',
    data: hashed ? `sha256:${sha256}` : formatImprint(hashBytes(line)),
    actor: o.actor ?? 'osquery',
    source: { system: 'file', host: textOf(record, 'hostIdentifier') ?? '' },
    ...(Number.isSafeInteger(seconds) && seconds > 0 ? { occurredAt: seconds * 1_000_000 } : {}),
    attributes: attributesOf({
      'file.path': path,
      'file.change': change,
      'file.class': 'file',
      'file.size': textOf(columns, 'size'),
      'file.mode': textOf(columns, 'mode'),
      'file.uid': textOf(columns, 'uid'),
      'file.gid': textOf(columns, 'gid'),
      'osquery.action': action,
      'osquery.category': textOf(columns, 'category'),
      'osquery.record_hash': hashed ? undefined : 'true',
    }),
  };
}
