import { streamV1, streamV1ShardMap, verifierV1 } from '@msi/proto';
import type { PumpHandler, PumpMessage } from '@msi/service-kit';
import type { AlerterContext } from './alerter-context.js';
import { type IntegrityFinding, integrityCandidate, malformedMessage } from './integrity-candidates.js';

/**
 * Integrity reports of the other services (`<prefix>.integrity.<source>`): a verifier recomputation
 * that does not match (critical: a seal, round or checkpoint is not what its inputs make), and a
 * witness refusing a checkpoint (critical when it found the checkpoint inconsistent — HTTP 422 —
 * else high).
 */
export function integrityHandler(ctx: AlerterContext): PumpHandler {
  return async (message, tx) => {
    let finding: IntegrityFinding;
    try {
      finding = findingOf(message);
    } catch (error: unknown) {
      await ctx.raise(tx, [malformedMessage('integrity', message, (error as Error).message, ctx.nowMs())]);
      return 'applied';
    }
    await ctx.raise(tx, [integrityCandidate(finding)]);
    return 'applied';
  };
}

/** The finding a report stands for; throws when it does not decode. */
export function findingOf(message: PumpMessage): IntegrityFinding {
  const source = message.subject.slice(message.subject.lastIndexOf('.') + 1);
  if (source === 'verifier') {
    const failure = verifierV1.IntegrityFailure.decode(message.data);
    const kind = verifierV1.IntegrityFailureKind[failure.kind] ?? String(failure.kind);
    const short = kind.replace('INTEGRITY_FAILURE_KIND_', '').toLowerCase();
    return {
      rule: 'verifier-mismatch',
      severity: 'critical',
      message: `the verifier's recomputation failed (${short}) on ${failure.stream} #${failure.streamSequence}: ${failure.detail}`,
      subject: `${short}|${failure.stream}#${failure.streamSequence}`,
      trigger: `integrity#${message.seq}`,
      atUs: Number(failure.detectedAtUs) || message.storedAtUs,
      details: {
        kind: short,
        stream: failure.stream,
        sequence: String(failure.streamSequence),
        shard: String(failure.shard),
        number: String(failure.number),
      },
    };
  }
  if (source === 'witness') {
    const refused = streamV1.WitnessRefused.decode(message.data);
    const inconsistent = refused.status === 422;
    return {
      rule: 'witness-refused',
      severity: inconsistent ? 'critical' : 'high',
      message: `witness ${refused.witness} refused to cosign the checkpoint of size ${refused.size} (HTTP ${refused.status}): ${refused.message}`,
      subject: `witness=${refused.witness}|status=${refused.status}`,
      trigger: `integrity#${message.seq}`,
      atUs: Number(refused.atUs) || message.storedAtUs,
      details: {
        witness: refused.witness,
        url: refused.url,
        size: String(refused.size),
        status: String(refused.status),
      },
    };
  }
  if (source === 'aggregator') {
    const found = streamV1ShardMap.EventOnRetiredShard.decode(message.data);
    return {
      rule: 'event-on-retired-shard',
      severity: 'high',
      message: `events stored on shard ${found.shard} after it retired (shard map version ${found.mapVersion}) were sealed in seal ${found.sealNumber} [${found.streamStart}, ${found.streamEnd}): an ingest instance routed by a map it should no longer use`,
      subject: `shard=${found.shard}`,
      trigger: `integrity#${message.seq}`,
      atUs: Number(found.lastStoredAtMs) * 1000 || message.storedAtUs,
      details: {
        shard: String(found.shard),
        seal_number: String(found.sealNumber),
        stream_start: String(found.streamStart),
        stream_end: String(found.streamEnd),
        map_version: String(found.mapVersion),
        aggregator: found.aggregatorId,
      },
    };
  }
  throw new Error(`unknown integrity source "${source}"`);
}
