import type { Metadata } from '@grpc/grpc-js';
import type { eventV1, ingestV1 } from '@msi/proto';
import type {
  CredentialStore,
  Identity,
  Logger,
  Role,
  SecurityReporter,
  UndecodableRequest,
} from '@msi/service-kit';
import { ackToProto, expandAcks } from './ack-to-proto.js';
import type { Admission } from './admission.js';
import { authenticate, hasRole, type PeerAuthContext } from './authenticate.js';
import { IngestError } from './ingest-error.js';
import type { Ack } from './ingest-pipeline.js';
import type { IngestMetrics } from './metrics.js';
import {
  hashStamped,
  type PreparedRequest,
  prepareEvents,
  type StampContext,
  type StampedRequest,
  stampEvents,
} from './prepare-events.js';

/** What the call handlers need; ingest-server.ts wires the real ones. */
export interface IngestCallDeps {
  readonly credentials: CredentialStore;
  readonly pipeline: { submit(events: PreparedRequest['events'], deadlineMs: number): Promise<Ack[]> };
  readonly security: SecurityReporter;
  readonly metrics: IngestMetrics;
  readonly admission: Admission;
  readonly isServing: () => boolean;
  /** The stamping context for one request of `identity` (clock, nonces, hasher, limits, round hint). */
  readonly stamp: (identity: Identity) => StampContext;
  readonly nowMs: () => number;
  /** How long a call without a deadline may wait for an earlier submission of the same id. */
  readonly maxWaitMs: number;
  readonly log: Logger;
}

/** One request of a group given to prepareGroup: its events, and the paths that name them in errors. */
export interface GroupedRequest {
  readonly events: readonly eventV1.DataEvent[];
  readonly listPath: string;
  readonly itemPath: (index: number) => string;
}

/** The parts of a grpc-js server call the handlers look at. */
export interface CallInfo {
  readonly metadata: Metadata;
  getPeer(): string;
  getAuthContext(): PeerAuthContext | null;
  getDeadline(): Date | number;
}

/**
 * The steps every call takes, in order: refuse while NATS is away (UNAVAILABLE); authenticate
 * (UNAUTHENTICATED); authorize the emitter role (PERMISSION_DENIED); validate and stamp the events
 * all-or-nothing; admit them under the in-flight bound; claim, batch and publish; answer per event.
 * Failed authentication and authorization are reported as security events.
 */
export class IngestCalls {
  constructor(readonly deps: IngestCallDeps) {}

  /** The caller's identity holding `role`, or throws IngestError (and reports the attempt). */
  authorize(call: CallInfo, method: string, role: Role = 'emitter'): Identity {
    if (!this.deps.isServing())
      throw new IngestError('UNAVAILABLE', undefined, 'ingest cannot reach NATS; retry later');
    const result = authenticate(call.metadata, call.getAuthContext(), this.deps.credentials);
    if (!result.ok) {
      this.deps.security.report({
        kind: 'UNAUTHENTICATED',
        method,
        peer: call.getPeer(),
        principal: '',
        tenant: '',
        reason: result.reason,
      });
      throw new IngestError('UNAUTHENTICATED', undefined, `not authenticated (${result.reason})`);
    }
    if (!hasRole(result.identity, role)) {
      this.#report(call, method, result.identity, 'missing_role');
      const what = role === 'emitter' ? 'submitting events' : method;
      throw new IngestError('PERMISSION_DENIED', undefined, `${what} needs the ${role} role`);
    }
    return result.identity;
  }

  /**
   * The refusal of a request whose body did not decode (strict decoding, service-kit): UNAUTHENTICATED
   * when the caller does not authenticate, else INVALID_ARGUMENT naming the field (`field` is its
   * path in the call, e.g. `requests[3].events[2].actor`); reported as a security event either way.
   */
  refuseUndecodable(
    call: Omit<CallInfo, 'getDeadline'>,
    method: string,
    request: UndecodableRequest,
    path = '',
  ): IngestError {
    const result = authenticate(call.metadata, call.getAuthContext(), this.deps.credentials);
    const field = prefixed(path, request.problem.field) || 'body';
    const refused = result.ok
      ? new IngestError('INVALID_ARGUMENT', field, request.problem.message)
      : new IngestError('UNAUTHENTICATED', undefined, `not authenticated (${result.reason})`);
    this.deps.security.report({
      kind: result.ok ? 'MALFORMED_REQUEST' : 'UNAUTHENTICATED',
      method,
      peer: call.getPeer(),
      principal: result.ok ? result.identity.principal : '',
      tenant: result.ok ? result.identity.tenant : '',
      reason: result.ok ? 'undecodable_request' : result.reason,
    });
    this.deps.metrics.rejected.inc({ code: refused.code });
    return refused;
  }

  /** Validates and stamps one request's events (throws IngestError naming the field). */
  prepare(
    call: CallInfo,
    method: string,
    identity: Identity,
    events: readonly eventV1.DataEvent[],
    listPath: string,
    itemPath: (index: number) => string,
  ): PreparedRequest {
    try {
      const prepared = prepareEvents(events, listPath, itemPath, this.deps.stamp(identity));
      this.deps.metrics.received.inc(events.length);
      return prepared;
    } catch (error: unknown) {
      if (error instanceof IngestError && error.code === 'PERMISSION_DENIED') {
        this.#report(call, method, identity, 'tenant_mismatch');
      }
      throw error;
    }
  }

  /**
   * prepare() of several requests of one caller that arrived together (a stream's messages of one
   * I/O turn): stamped with one context and hashed in one call of each batch kernel, which for
   * one-event messages costs a fraction of a call per message. Stops at the first request that does
   * not validate: `prepared` holds the requests before it, `failure` its error (as prepare throws it).
   */
  prepareGroup(
    call: CallInfo,
    method: string,
    identity: Identity,
    requests: readonly GroupedRequest[],
  ): { readonly prepared: PreparedRequest[]; readonly failure?: unknown } {
    const context = this.deps.stamp(identity);
    const stamped: StampedRequest[] = [];
    let failure: unknown;
    for (const { events, listPath, itemPath } of requests) {
      try {
        stamped.push(stampEvents(events, listPath, itemPath, context));
        this.deps.metrics.received.inc(events.length);
      } catch (error: unknown) {
        if (error instanceof IngestError && error.code === 'PERMISSION_DENIED') {
          this.#report(call, method, identity, 'tenant_mismatch');
        }
        failure = error;
        break;
      }
    }
    const prepared = stamped.length === 0 ? [] : hashStamped(stamped, context);
    return failure === undefined ? { prepared } : { prepared, failure };
  }

  /** Claims, publishes and answers admitted events; one ack per event of the request, in order. */
  async process(prepared: PreparedRequest, deadlineMs: number): Promise<ingestV1.EventAck[]> {
    return (await this.processGroup([prepared], deadlineMs))[0] as ingestV1.EventAck[];
  }

  /**
   * process() of several prepared requests at once, as one submission to the pipeline (their events
   * share batches and one wait per batch, as concurrent requests' do); each request's acks, in order.
   */
  async processGroup(
    requests: readonly PreparedRequest[],
    deadlineMs: number,
  ): Promise<ingestV1.EventAck[][]> {
    const started = this.deps.nowMs();
    let events = requests[0]?.events ?? [];
    if (requests.length > 1) {
      const all: PreparedRequest['events'][number][] = [];
      for (const request of requests) for (const event of request.events) all.push(event);
      events = all;
    }
    const answered = await this.deps.pipeline.submit(events, deadlineMs);
    const seconds = Math.max(0, this.deps.nowMs() - started) / 1000;
    for (let i = 0; i < requests.length; i += 1) this.deps.metrics.ackSeconds.observe(seconds);
    this.#count(answered);
    const acks = answered.map(ackToProto);
    let offset = 0;
    return requests.map(({ events: own, slots }) => {
      const expanded = expandAcks(
        requests.length === 1 ? acks : acks.slice(offset, offset + own.length),
        slots,
      );
      offset += own.length;
      return expanded;
    });
  }

  /**
   * Unary: validate, admit (or RESOURCE_EXHAUSTED), process, release. `request()` is called once,
   * at once: the decoded request is not held past validation (see submitAuthorized).
   */
  submitUnary(
    call: CallInfo,
    method: string,
    request: () => readonly eventV1.DataEvent[],
    listPath: string,
    itemPath: (index: number) => string,
  ): Promise<ingestV1.EventAck[]> {
    try {
      return this.submitAuthorized(call, method, this.authorize(call, method), request(), listPath, itemPath);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
  }

  /**
   * submitUnary for a caller already authorized (the OpenLineage endpoint authorizes before it
   * parses). Validates and stamps `events` before it returns, and keeps nothing of them but the
   * prepared events while they are claimed and published: a decoded request of 1,000 events is
   * ~1.5 MB of objects, which every young-generation GC meanwhile would copy, then promote.
   */
  submitAuthorized(
    call: CallInfo,
    method: string,
    identity: Identity,
    events: readonly eventV1.DataEvent[],
    listPath: string,
    itemPath: (index: number) => string,
  ): Promise<ingestV1.EventAck[]> {
    try {
      const prepared = this.prepare(call, method, identity, events, listPath, itemPath);
      const count = prepared.events.length;
      if (!this.deps.admission.tryAcquire(count)) {
        throw new IngestError(
          'RESOURCE_EXHAUSTED',
          undefined,
          `ingest has ${this.deps.admission.inUse} events in flight (limit ${this.deps.admission.capacity}); back off and retry`,
        );
      }
      return this.#processAdmitted(prepared, count, this.deadlineOf(call));
    } catch (error: unknown) {
      return Promise.reject(error);
    }
  }

  async #processAdmitted(
    prepared: PreparedRequest,
    count: number,
    deadlineMs: number,
  ): Promise<ingestV1.EventAck[]> {
    try {
      return await this.process(prepared, deadlineMs);
    } finally {
      this.deps.admission.release(count);
    }
  }

  /** The instant (ms) by which a call should have its answer: its deadline, or maxWaitMs from now. */
  deadlineOf(call: CallInfo): number {
    const deadline = call.getDeadline();
    const ms = deadline instanceof Date ? deadline.getTime() : deadline;
    const cap = this.deps.nowMs() + this.deps.maxWaitMs;
    // Leave a little time to send the answer before the client gives up.
    return Number.isFinite(ms) ? Math.min(ms - 20, cap) : cap;
  }

  #report(
    call: CallInfo,
    method: string,
    identity: Identity,
    reason: 'missing_role' | 'tenant_mismatch',
  ): void {
    this.deps.security.report({
      kind: 'PERMISSION_DENIED',
      method,
      peer: call.getPeer(),
      principal: identity.principal,
      tenant: identity.tenant,
      reason,
    });
  }

  #count(acks: readonly Ack[]): void {
    let acked = 0;
    let duplicate = 0;
    for (const ack of acks) {
      if (ack.kind === 'failed') this.deps.metrics.failed.inc({ code: ack.code });
      else if (ack.duplicate) duplicate += 1;
      else acked += 1;
    }
    if (acked > 0) this.deps.metrics.acked.inc(acked);
    if (duplicate > 0) this.deps.metrics.duplicate.inc(duplicate);
  }
}

const prefixed = (path: string, field: string): string =>
  path === '' ? field : field === '' ? path : `${path}.${field}`;
