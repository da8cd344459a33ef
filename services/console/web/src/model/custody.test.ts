import { readFileSync } from 'node:fs';
import {
  decodeBase64,
  decodeEvent,
  formatImprint,
  formatUuid,
  type Imprint,
  parseVerifierKey,
} from '@msi/core';
import { describe, expect, it } from 'vitest';
import type { HistoryEntryJson } from '../../../src/api-types.js';
import { judgeActorSearch, judgeHistory } from './custody.js';
import { BrowserReceiptChecker } from './receipt-check.js';

// A real receipt of the core's vectors (packages/core/testdata/receipts/valid/process.json: a
// PROCESS event anchored in round 0), listed as a GetHistory row the way the gateway sends it.
const text = readFileSync(
  new URL('../../../../../packages/core/testdata/receipts/valid/process.json', import.meta.url),
  'utf8',
);
const event = decodeEvent(decodeBase64((JSON.parse(text) as { event: string }).event) ?? new Uint8Array());
const checker = new BrowserReceiptChecker({
  logKeys: [parseVerifierKey('msi.example/calendar+67b72184+AdglrftQ5QZx3ASAne8Q3KHYXaFFumBXZUeUCpPUOSGK')],
});

function listed(fields: Partial<HistoryEntryJson>): HistoryEntryJson {
  return {
    role: 'input',
    anchored: true,
    round: '0',
    receiptJson: text,
    eventId: formatUuid(event.eventId),
    kind: 'PROCESS',
    tenant: 'server-says',
    actor: 'server-says',
    receivedAtUs: '1',
    ...fields,
  };
}

const input = event.inputs[0] as Imprint;

describe('judgeHistory', () => {
  it('shows a row from its verified receipt, not from the server fields', () => {
    const [row] = judgeHistory([listed({})], input, checker);
    expect(row).toMatchObject({ status: 'valid', tenant: event.tenant, actor: event.actor, round: 0 });
    expect(row?.event?.kind).toBe('PROCESS');
  });

  it('marks a row whose event does not name the item in the role listed', () => {
    const [asOutput] = judgeHistory([listed({ role: 'output' })], input, checker);
    expect(asOutput).toMatchObject({ status: 'invalid', code: 'NOT_IN_EVENT' });
    expect(asOutput?.message).toBe(`the event does not name ${formatImprint(input)} as output`);
  });

  it('marks a row listed in another round than its receipt proves', () => {
    const [row] = judgeHistory([listed({ round: '7' })], input, checker);
    expect(row).toMatchObject({ status: 'invalid', code: 'ROUND_MISMATCH', message: 'listed in round 7' });
  });

  it('marks a receipt that does not verify with its code, and an unanchored row as such', () => {
    const tampered = text.replace('"round":"', '"round":"A');
    const [bad, pending] = judgeHistory(
      [listed({ receiptJson: tampered }), listed({ anchored: false, receiptJson: null })],
      input,
      checker,
    );
    expect(bad?.status).toBe('invalid');
    expect(bad?.code).toMatch(/^[A-Z_]+$/);
    expect(pending).toMatchObject({ status: 'unanchored', actor: 'server-says', round: null });
  });
});

describe('judgeActorSearch', () => {
  it('shows a row valid only when the verified event carries the actor in the role listed', () => {
    expect(event.submitter).not.toBe(event.actor);
    const [asActor] = judgeActorSearch([listed({ role: 'actor' })], event.actor, checker);
    expect(asActor).toMatchObject({ status: 'valid', actor: event.actor, tenant: event.tenant });
    const [asSubmitter] = judgeActorSearch([listed({ role: 'submitter' })], event.submitter, checker);
    expect(asSubmitter).toMatchObject({ status: 'valid' });
    const [wrongRole] = judgeActorSearch([listed({ role: 'submitter' })], event.actor, checker);
    expect(wrongRole).toMatchObject({ status: 'invalid', code: 'NOT_IN_EVENT' });
    const [bothRoles] = judgeActorSearch([listed({ role: 'actor,submitter' })], event.actor, checker);
    expect(bothRoles).toMatchObject({ status: 'invalid', code: 'NOT_IN_EVENT' }); // not its submitter
    const [otherActor] = judgeActorSearch([listed({ role: 'actor' })], `${event.actor}-not`, checker);
    expect(otherActor).toMatchObject({
      status: 'invalid',
      code: 'NOT_IN_EVENT',
      message: `the event does not name ${event.actor}-not as actor`,
    });
  });

  it('keeps an entry without a receipt unverified, with the server fields', () => {
    const [row] = judgeActorSearch([listed({ anchored: false, receiptJson: null })], 'anyone', checker);
    expect(row).toMatchObject({ status: 'unanchored', actor: 'server-says' });
  });
});
