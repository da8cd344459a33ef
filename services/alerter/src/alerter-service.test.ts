import { alerterV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { AlerterError } from './alerter-error.js';
import { queryOf } from './alerter-service.js';

type Viewer = Parameters<typeof queryOf>[0];
const auditor: Viewer = {
  identity: {
    tenant: 'acme',
    principal: 'audit',
    roles: new Set(['auditor'] as const) as Viewer['identity']['roles'],
  },
  tenants: ['acme'],
};
const operator: Viewer = {
  identity: {
    tenant: 'ops',
    principal: 'oncall',
    roles: new Set(['operator'] as const) as Viewer['identity']['roles'],
  },
  tenants: undefined,
};
const filter = (f: Partial<alerterV1.AlertFilter>) => alerterV1.AlertFilter.fromPartial(f);

describe('queryOf (a request filter, hostile input)', () => {
  it('maps the enums to names and keeps an auditor to its tenant', () => {
    expect(
      queryOf(
        operator,
        filter({
          category: alerterV1.Category.CATEGORY_CUSTODY,
          status: alerterV1.Status.STATUS_OPEN,
          minSeverity: alerterV1.Severity.SEVERITY_HIGH,
          rule: 'r',
        }),
        'filter',
      ),
    ).toEqual({ category: 'custody', status: 'open', minSeverityRank: 3, rule: 'r' });
    expect(queryOf(auditor, undefined, 'filter')).toEqual({ tenants: ['acme'] });
    expect(queryOf(operator, undefined, 'filter')).toEqual({});
  });

  it('refuses unknown values and other tenants, naming the field', () => {
    const refused = (f: Partial<alerterV1.AlertFilter>, viewer: Viewer = operator) => {
      try {
        queryOf(viewer, filter(f), 'filter');
      } catch (error: unknown) {
        return error instanceof AlerterError ? `${error.code} ${error.message}` : 'other';
      }
      return 'accepted';
    };
    expect(refused({ category: 9 as alerterV1.Category })).toMatch(/^INVALID_ARGUMENT filter\.category/);
    expect(refused({ status: 7 as alerterV1.Status })).toMatch(/^INVALID_ARGUMENT filter\.status/);
    expect(refused({ minSeverity: 5 as alerterV1.Severity })).toMatch(
      /^INVALID_ARGUMENT filter\.min_severity/,
    );
    expect(refused({ rule: 'x'.repeat(129) })).toMatch(/^INVALID_ARGUMENT filter\.rule/);
    // What Postgres text cannot hold (U+0000) or no rule id or tenant can be: refused, not INTERNAL.
    expect(refused({ rule: 'use-after-\u0000' })).toMatch(/^INVALID_ARGUMENT filter\.rule/);
    expect(refused({ tenant: 'acme\u0000' })).toMatch(/^INVALID_ARGUMENT filter\.tenant/);
    expect(refused({ tenant: 'Acme Corp' })).toMatch(/^INVALID_ARGUMENT filter\.tenant/);
    expect(refused({ tenant: 'globex' }, auditor)).toMatch(/^PERMISSION_DENIED filter\.tenant/);
  });
});
