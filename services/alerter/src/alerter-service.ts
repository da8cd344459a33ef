import { type Metadata, type ServerWritableStream, status } from '@grpc/grpc-js';
import { SEVERITIES } from '@msi/policy';
import type { Pool } from '@msi/postgres';
import { alerterV1 } from '@msi/proto';
import {
  authenticateApiKey,
  type CredentialStore,
  type Identity,
  type Logger,
  type SecurityReporter,
  unaryHandler,
} from '@msi/service-kit';
import { categoryName, statusName } from '@msi/wire';
import { alertToProto } from './alert.js';
import type { AlertFeed } from './alert-feed.js';
import {
  type AlertQuery,
  acknowledgeAlert,
  alertById,
  alertsAfter,
  lastSequence,
  listAlerts,
} from './alert-store.js';
import { AlerterError, toGrpcStatus } from './alerter-error.js';
import type { PolicyFile } from './policy-file.js';

export interface AlerterServiceDeps {
  readonly pool: Pool;
  readonly credentials: CredentialStore;
  /** Publishes failed authentications and authorizations as security events. */
  readonly security: SecurityReporter;
  readonly feed: AlertFeed;
  readonly policy: PolicyFile;
  readonly nowMs: () => number;
  readonly log: Logger;
}

const MAX_PAGE = 1000;
/** Sequences are below 2^53 (a bigint column read as a safe integer). */
const MAX_SEQUENCE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_NOTE_BYTES = 1000;
/** What a tenant and a rule id can be (events' tenants; policy and integrity rule ids). */
const TENANT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const WATCH_BATCH = 500;

/** Who may see what: operators everything, auditors their tenant's alerts. */
interface Viewer {
  readonly identity: Identity;
  /** undefined = every tenant (operator). */
  readonly tenants: readonly string[] | undefined;
}

/** What viewerOf looks at of a call (hostile input). */
interface CallInfo {
  readonly metadata: Metadata;
  getPath(): string;
  getPeer(): string;
}

/** The caller's viewer; failed authentication and authorization are reported as security events. */
function viewerOf(deps: Pick<AlerterServiceDeps, 'credentials' | 'security'>, call: CallInfo): Viewer {
  const auth = authenticateApiKey(deps.credentials, call.metadata);
  const incident = { method: call.getPath(), peer: call.getPeer() };
  if (!auth.ok) {
    deps.security.report({
      ...incident,
      kind: 'UNAUTHENTICATED',
      principal: '',
      tenant: '',
      reason: auth.reason,
    });
    throw new AlerterError('UNAUTHENTICATED', 'a valid API key is required (authorization: Bearer <key>)');
  }
  const { identity } = auth;
  if (identity.roles.has('operator')) return { identity, tenants: undefined };
  if (identity.roles.has('auditor')) return { identity, tenants: [identity.tenant] };
  deps.security.report({
    ...incident,
    kind: 'PERMISSION_DENIED',
    principal: identity.principal,
    tenant: identity.tenant,
    reason: 'missing_role',
  });
  throw new AlerterError('PERMISSION_DENIED', 'the auditor or operator role is required');
}

/** queryOf for a call's `filter`; an auditor asking for another tenant is reported (tenant_mismatch). */
function filterOf(
  deps: Pick<AlerterServiceDeps, 'security'>,
  call: CallInfo,
  viewer: Viewer,
  filter: alerterV1.AlertFilter | undefined,
): AlertQuery {
  try {
    return queryOf(viewer, filter, 'filter');
  } catch (error: unknown) {
    if (error instanceof AlerterError && error.code === 'PERMISSION_DENIED') {
      deps.security.report({
        kind: 'PERMISSION_DENIED',
        method: call.getPath(),
        peer: call.getPeer(),
        principal: viewer.identity.principal,
        tenant: viewer.identity.tenant,
        reason: 'tenant_mismatch',
      });
    }
    throw error;
  }
}

/** A uint64 sequence from a request, or OUT_OF_RANGE naming the field. */
function sequenceField(field: string, value: bigint): number {
  if (value > MAX_SEQUENCE)
    throw new AlerterError('OUT_OF_RANGE', `${field}: ${value} is beyond any sequence`);
  return Number(value);
}

/** The filter of a request as a query within what the viewer may see (hostile input). */
export function queryOf(
  viewer: Viewer,
  filter: alerterV1.AlertFilter | undefined,
  field: string,
): AlertQuery {
  const f = filter ?? alerterV1.AlertFilter.fromPartial({});
  const query: { -readonly [K in keyof AlertQuery]: AlertQuery[K] } = {};
  if (f.tenant !== '') {
    if (!TENANT.test(f.tenant))
      throw new AlerterError('INVALID_ARGUMENT', `${field}.tenant: not a tenant ([a-z0-9._-], 1–64)`);
    if (viewer.tenants !== undefined && !viewer.tenants.includes(f.tenant)) {
      throw new AlerterError(
        'PERMISSION_DENIED',
        `${field}.tenant: an auditor sees only its own tenant's alerts`,
      );
    }
    query.tenants = [f.tenant];
  } else if (viewer.tenants !== undefined) {
    query.tenants = viewer.tenants;
  }
  if (f.minSeverity !== alerterV1.Severity.SEVERITY_UNSPECIFIED) {
    if (!(f.minSeverity >= 1 && f.minSeverity <= SEVERITIES.length)) {
      throw new AlerterError('INVALID_ARGUMENT', `${field}.min_severity: unknown severity ${f.minSeverity}`);
    }
    query.minSeverityRank = f.minSeverity;
  }
  if (f.category !== alerterV1.Category.CATEGORY_UNSPECIFIED) {
    const category = categoryName(f.category);
    if (category === 'unknown')
      throw new AlerterError('INVALID_ARGUMENT', `${field}.category: unknown category ${f.category}`);
    query.category = category;
  }
  if (f.rule !== '') {
    if (!RULE_ID.test(f.rule))
      throw new AlerterError('INVALID_ARGUMENT', `${field}.rule: not a rule id ([a-z0-9-], 1–64)`);
    query.rule = f.rule;
  }
  if (f.status !== alerterV1.Status.STATUS_UNSPECIFIED) {
    const status = statusName(f.status);
    if (status === 'unknown')
      throw new AlerterError('INVALID_ARGUMENT', `${field}.status: unknown status ${f.status}`);
    query.status = status;
  }
  return query;
}

/** The AlerterService handlers. */
export function alerterService(deps: AlerterServiceDeps): alerterV1.AlerterServiceServer {
  const unary = unaryHandler(toGrpcStatus, deps.log);
  return {
    listAlerts: unary(async (call) => {
      const viewer = viewerOf(deps, call);
      const query = filterOf(deps, call, viewer, call.request.filter);
      const size = call.request.pageSize === 0 ? 100 : call.request.pageSize;
      if (size > MAX_PAGE) throw new AlerterError('INVALID_ARGUMENT', `page_size: at most ${MAX_PAGE}`);
      const before = sequenceField('before_sequence', call.request.beforeSequence);
      const alerts = await listAlerts(deps.pool, query, before, size + 1);
      const page = alerts.slice(0, size);
      return {
        alerts: page.map(alertToProto),
        nextBefore: alerts.length > size ? BigInt(page[page.length - 1]?.sequence ?? 0) : 0n,
      };
    }),
    watchAlerts: (call) => {
      // Ends with OK when the client goes away, else with the error's status (emitting 'error' makes
      // grpc-js send it; destroy() would not, and the client would wait for its deadline).
      watch(deps, call).then(
        () => {
          if (!call.writableEnded) call.end();
        },
        (error: unknown) => {
          const mapped = toGrpcStatus(error);
          if (mapped.code === status.INTERNAL)
            deps.log.error('watch failed', { error: (error as Error).message });
          if (!call.writableEnded) call.emit('error', mapped);
        },
      );
    },
    acknowledgeAlert: unary(async (call) => {
      const viewer = viewerOf(deps, call);
      if (!viewer.identity.roles.has('operator')) {
        deps.security.report({
          kind: 'PERMISSION_DENIED',
          method: call.getPath(),
          peer: call.getPeer(),
          principal: viewer.identity.principal,
          tenant: viewer.identity.tenant,
          reason: 'missing_role',
        });
        throw new AlerterError('PERMISSION_DENIED', 'acknowledging alerts needs the operator role');
      }
      const id = call.request.alertId;
      if (!/^[0-9a-f]{64}$/.test(id))
        throw new AlerterError('INVALID_ARGUMENT', 'alert_id: 64 lower-case hex characters');
      if (Buffer.byteLength(call.request.note, 'utf8') > MAX_NOTE_BYTES) {
        throw new AlerterError('INVALID_ARGUMENT', `note: at most ${MAX_NOTE_BYTES} bytes`);
      }
      if (call.request.note.includes('\u0000'))
        throw new AlerterError('INVALID_ARGUMENT', 'note: U+0000 cannot be stored');
      if ((await alertById(deps.pool, id)) === undefined)
        throw new AlerterError('NOT_FOUND', `alert_id: no alert ${id}`);
      const alert = await acknowledgeAlert(
        deps.pool,
        id,
        viewer.identity.principal,
        call.request.note,
        deps.nowMs() * 1000,
      );
      return { alert: alert === undefined ? undefined : alertToProto(alert) };
    }),
    getPolicy: unary(async (call) => {
      viewerOf(deps, call);
      const policy = deps.policy.policy;
      const refused = deps.policy.refused;
      return {
        digest: policy.digest,
        path: deps.policy.path,
        loadedAtUs: BigInt(deps.policy.loadedAtUs),
        rules: policy.rules.map((rule) => rule.id),
        lastError: refused?.message ?? '',
        lastErrorAtUs: BigInt(refused?.atUs ?? 0),
      };
    }),
  };
}

/** Replays stored alerts after the client's sequence, then follows new ones until the call ends. */
async function watch(
  deps: AlerterServiceDeps,
  call: ServerWritableStream<alerterV1.WatchAlertsRequest, alerterV1.WatchAlertsResponse>,
): Promise<void> {
  const viewer = viewerOf(deps, call);
  const query = filterOf(deps, call, viewer, call.request.filter);
  const from = sequenceField('after_sequence', call.request.afterSequence);
  let after = call.request.onlyNew ? await lastSequence(deps.pool) : from;
  let ended = false;
  let wake: (() => void) | undefined;
  const unsubscribe = deps.feed.subscribe(() => wake?.());
  const end = () => {
    ended = true;
    wake?.();
  };
  call.on('cancelled', end);
  call.on('close', end);
  call.on('error', end);
  try {
    while (!ended) {
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      for (;;) {
        const alerts = await alertsAfter(deps.pool, query, after, WATCH_BATCH);
        for (const alert of alerts) {
          if (ended) return;
          after = alert.sequence;
          if (!call.write({ alert: alertToProto(alert) })) {
            await new Promise<void>((resolve) => call.once('drain', () => resolve()));
          }
        }
        if (alerts.length < WATCH_BATCH) break;
      }
      await woken;
    }
  } finally {
    unsubscribe();
  }
}
