import { readFileSync } from 'node:fs';
import { decodeBase64, decodeEvent, formatImprint, formatUuid, parseVerifierKey } from '@msi/core';
import { describe, expect, it } from 'vitest';
import type { LineageHopJson } from '../../../src/api-types.js';
import { judgeLineageHops } from './lineage-hops.js';
import { BrowserReceiptChecker } from './receipt-check.js';

// Real receipts of the core's vectors (a PROCESS in round 0, a TRANSFER across tenants), listed as
// GetLineage hops the way the gateway sends them.
const vector = (name: string) =>
  readFileSync(
    new URL(`../../../../../packages/core/testdata/receipts/valid/${name}.json`, import.meta.url),
    'utf8',
  );
const processText = vector('process');
const transferText = vector('transfer-cross-tenant');
const eventOf = (text: string) =>
  decodeEvent(decodeBase64((JSON.parse(text) as { event: string }).event) ?? new Uint8Array());
const processEvent = eventOf(processText);
const transferEvent = eventOf(transferText);
const checker = new BrowserReceiptChecker({
  logKeys: [parseVerifierKey('msi.example/calendar+67b72184+AdglrftQ5QZx3ASAne8Q3KHYXaFFumBXZUeUCpPUOSGK')],
});
const round = (text: string) =>
  String((JSON.parse(text) as { roundProof: { leafIndex: number } }).roundProof.leafIndex);

function hop(text: string | null, fields: Partial<LineageHopJson> = {}): LineageHopJson {
  const event = eventOf(text ?? processText);
  const endpoint = { system: '', region: '', host: '' };
  return {
    kind: event.kind === 'TRANSFER' ? 'TRANSFER' : 'PROCESS',
    eventId: formatUuid(event.eventId),
    fromData: [formatImprint(event.data)],
    toData: [formatImprint(event.data)],
    fromTenant: 'server-says',
    toTenant: 'server-says',
    source: endpoint,
    destination: endpoint,
    depth: 2,
    direction: 'downstream',
    anchored: text !== null,
    round: text === null ? '0' : round(text),
    receiptJson: text,
    ...fields,
  };
}

const judge = (hops: LineageHopJson[], known = new Map()) =>
  judgeLineageHops(
    hops,
    hops.map((h) => (h.receiptJson === null ? undefined : checker.verdict(h.receiptJson))),
    known,
  );

describe('judgeLineageHops', () => {
  it('draws a link only from the event its receipt proves', () => {
    const [process, transfer] = judge([hop(processText), hop(transferText)]);
    expect(process).toMatchObject({ status: 'valid' });
    expect(process?.event?.eventId).toEqual(processEvent.eventId);
    expect(transfer).toMatchObject({ status: 'valid' });
    expect(transfer?.event?.toTenant).toBe(transferEvent.toTenant);
  });

  it('refuses a receipt of another event, of another kind, or of another round than listed', () => {
    const [otherEvent, otherKind, otherRound] = judge([
      hop(transferText, { eventId: formatUuid(processEvent.eventId) }),
      hop(processText, { kind: 'TRANSFER' }),
      hop(processText, { round: '99' }),
    ]);
    expect(otherEvent).toMatchObject({
      status: 'invalid',
      code: 'NOT_THE_LINK',
      message: `the receipt proves event ${formatUuid(transferEvent.eventId)}`,
    });
    expect(otherKind).toMatchObject({
      status: 'invalid',
      code: 'NOT_THE_LINK',
      message: 'the event is a PROCESS',
    });
    expect(otherRound).toMatchObject({
      status: 'invalid',
      code: 'ROUND_MISMATCH',
      message: 'listed in round 99',
    });
  });

  it('keeps the code of a receipt that does not verify, and a link without a receipt undrawn', () => {
    const [tampered, none] = judge([hop(processText.replace('"round":"', '"round":"A')), hop(null)]);
    expect(tampered?.status).toBe('invalid');
    expect(tampered?.code).toMatch(/^[A-Z_]+$/);
    expect(tampered?.event).toBeUndefined();
    expect(none).toMatchObject({ status: 'unanchored' });
    expect(none?.event).toBeUndefined();
  });

  it('reuses an event already verified in the page, still checking it is the one listed', () => {
    const known = new Map([[formatUuid(processEvent.eventId), processEvent]]);
    const [reused, wrongKind] = judge(
      [
        hop(null, { eventId: formatUuid(processEvent.eventId) }),
        hop(null, { eventId: formatUuid(processEvent.eventId), kind: 'TRANSFER' }),
      ],
      known,
    );
    expect(reused).toMatchObject({ status: 'valid' });
    expect(reused?.event).toBe(processEvent);
    expect(wrongKind).toMatchObject({ status: 'invalid', code: 'NOT_THE_LINK' });
  });
});
