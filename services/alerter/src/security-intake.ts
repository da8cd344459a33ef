import { toSafeInteger } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import type { PumpHandler } from '@msi/service-kit';
import type { AlerterContext } from './alerter-context.js';
import { integrityCandidate, malformedMessage } from './integrity-candidates.js';
import { SCHEMA } from './schema.js';

/** The host part of a gRPC peer (`ipv4:10.0.0.7:51234` → `10.0.0.7`, `ipv6:[::1]:5000` → `[::1]`). */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const colon = bare.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(bare.slice(colon + 1)) ? bare.slice(0, colon) : bare;
}

/**
 * Failed authentication and authorization, and undecodable requests (`<prefix>.security`, from
 * ingest, the verifier and the alerter): a burst of at least `threshold`
 * failures from one peer host within the window (both from the policy, in the events' own time) is
 * an alert; the burst's later failures count as occurrences of it.
 */
export function securityHandler(ctx: AlerterContext): PumpHandler {
  return async (message, tx) => {
    let event: streamV1.SecurityEvent;
    try {
      event = streamV1.SecurityEvent.decode(message.data);
    } catch (error: unknown) {
      await ctx.raise(tx, [malformedMessage('security', message, (error as Error).message, ctx.nowMs())]);
      return 'applied';
    }
    const { threshold, windowUs, severity } = ctx.policy().integrity.authFailures;
    const peer = peerHost(event.peer);
    const atUs = Number(event.atUs) || message.storedAtUs;
    await tx.query(
      `INSERT INTO ${SCHEMA}.auth_failures (peer, at_us, stream_seq) VALUES ($1::text, $2::int8, $3::int8)`,
      [peer, atUs, message.seq],
    );
    await tx.query(`DELETE FROM ${SCHEMA}.auth_failures WHERE peer = $1::text AND at_us < $2::int8`, [
      peer,
      atUs - windowUs,
    ]);
    const { rows } = await tx.query(
      `SELECT count(*) AS n FROM ${SCHEMA}.auth_failures WHERE peer = $1::text`,
      [peer],
    );
    const count = toSafeInteger(rows[0].n, 'n');
    if (count < threshold) return 'applied';
    const kind =
      event.kind === streamV1.SecurityEventKind.SECURITY_EVENT_KIND_PERMISSION_DENIED
        ? 'denied'
        : event.kind === streamV1.SecurityEventKind.SECURITY_EVENT_KIND_MALFORMED_REQUEST
          ? 'malformed request'
          : 'unauthenticated';
    await ctx.raise(tx, [
      integrityCandidate({
        rule: 'auth-failure-burst',
        severity,
        message: `${count} refused calls (authentication, authorization, undecodable requests) from ${peer} within ${windowUs / 1_000_000} s (last: ${kind}, ${event.reason || 'no reason'}, ${event.method || 'no method'}${event.principal === '' ? '' : `, principal ${event.principal}`})`,
        subject: `peer=${peer}`,
        trigger: `security#${message.seq}`,
        atUs,
        tenant: event.tenant,
        dedupeWindowUs: Math.max(windowUs, 10 * 60 * 1_000_000),
        details: { peer, reason: event.reason, method: event.method, service: event.service },
      }),
    ]);
    return 'applied';
  };
}
