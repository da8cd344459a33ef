import { formatImprint, ImprintError, parseImprintText } from '@msi/core';
import type { BusinessHours } from './business-hours.js';
import type { PolicyWorld, TenantTime } from './event-view.js';
import { FACT_NAME, type StaticFacts } from './facts.js';
import { isTimeZone, parseClock, parseDay, WEEKDAYS, ZoneClock } from './local-time.js';
import type { At, YamlReader } from './yaml-reader.js';

/** Tenant names as events carry them. */
export const TENANT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TENANT_WHAT = 'a tenant name (1-64 characters of [a-z0-9._-])';
const LIST_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The `tenants` section: each tenant's time zone and business hours. */
export function readTenants(reader: YamlReader, at: At | undefined): Map<string, TenantTime> {
  const tenants = new Map<string, TenantTime>();
  if (at === undefined) return tenants;
  for (const entry of reader.map(at)?.values() ?? []) {
    if (!TENANT.test(entry.key))
      reader.reportAt(entry.keyOffset, entry.path, `"${entry.key}" is not ${TENANT_WHAT}`);
    const settings = reader.map(entry, ['timezone', 'business_hours']);
    if (settings === undefined) continue;
    let zone = 'UTC';
    const zoneAt = settings.get('timezone');
    if (zoneAt !== undefined) {
      const name = reader.string(zoneAt);
      if (name !== undefined && !isTimeZone(name)) reader.report(zoneAt, `unknown time zone "${name}"`);
      else if (name !== undefined) zone = name;
    }
    const hoursAt = settings.get('business_hours');
    const hours = hoursAt === undefined ? undefined : readBusinessHours(reader, hoursAt);
    tenants.set(entry.key, { clock: new ZoneClock(zone), hours });
  }
  return tenants;
}

function readBusinessHours(reader: YamlReader, at: At): BusinessHours | undefined {
  const entries = reader.map(at, ['days', 'from', 'to', 'holidays']);
  if (entries === undefined) return undefined;
  const daysAt = reader.entry(entries, 'days', at, true);
  const fromAt = reader.entry(entries, 'from', at, true);
  const toAt = reader.entry(entries, 'to', at, true);
  const holidaysAt = entries.get('holidays');
  const days = daysAt && reader.strings(daysAt, (d) => reader.oneOf(d, WEEKDAYS));
  const fromMinute = fromAt && clock(reader, fromAt, false);
  const toMinute = toAt && clock(reader, toAt, true);
  const holidays = holidaysAt ? reader.strings(holidaysAt, (d) => date(reader, d)) : [];
  if (fromMinute !== undefined && toMinute !== undefined && fromMinute >= toMinute && toAt) {
    reader.report(toAt, 'must be later than from');
    return undefined;
  }
  if (days === undefined || fromMinute === undefined || toMinute === undefined || holidays === undefined) {
    return undefined;
  }
  return {
    days: new Set(days.map((d) => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]))),
    fromMinute,
    toMinute,
    holidays: new Set(holidays.map((d) => parseDay(d) as number)),
  };
}

function clock(reader: YamlReader, at: At, allowEnd: boolean): number | undefined {
  const text = reader.string(at);
  if (text === undefined) return undefined;
  const minute = parseClock(text, allowEnd);
  if (minute === undefined)
    reader.report(at, `"${text}" is not a time HH:MM (00:00-${allowEnd ? '24:00' : '23:59'})`);
  return minute;
}

function date(reader: YamlReader, at: At): string | undefined {
  const text = reader.string(at);
  if (text !== undefined && parseDay(text) === undefined) {
    reader.report(at, `"${text}" is not a date YYYY-MM-DD`);
    return undefined;
  }
  return text;
}

/** The `lists` section: name → items (numbers taken as written). */
export function readLists(reader: YamlReader, at: At | undefined): Map<string, readonly string[]> {
  const lists = new Map<string, readonly string[]>();
  if (at === undefined) return lists;
  for (const entry of reader.map(at)?.values() ?? []) {
    if (!LIST_NAME.test(entry.key)) {
      reader.reportAt(entry.keyOffset, entry.path, `"${entry.key}" is not a list name ([a-z0-9][a-z0-9_-]*)`);
    }
    const items = reader.strings(entry, (item) => reader.string(item, true));
    if (items !== undefined) lists.set(entry.key, items);
  }
  return lists;
}

/** The `facts` section: tenant → imprint text → name → value (a list is stored comma-joined). */
export function readStaticFacts(reader: YamlReader, at: At | undefined): StaticFacts {
  const facts = new Map<string, Map<string, Map<string, string>>>();
  if (at === undefined) return facts;
  for (const tenant of reader.map(at)?.values() ?? []) {
    if (!TENANT.test(tenant.key))
      reader.reportAt(tenant.keyOffset, tenant.path, `"${tenant.key}" is not ${TENANT_WHAT}`);
    const items = new Map<string, Map<string, string>>();
    facts.set(tenant.key, items);
    for (const item of reader.map(tenant)?.values() ?? []) {
      let imprint: string;
      try {
        imprint = formatImprint(parseImprintText(item.key));
      } catch (error) {
        if (!(error instanceof ImprintError)) throw error;
        reader.reportAt(item.keyOffset, item.path, `"${item.key}" is not an imprint text: ${error.message}`);
        continue;
      }
      const named = new Map<string, string>();
      items.set(imprint, named);
      for (const fact of reader.map(item)?.values() ?? []) {
        if (!FACT_NAME.test(fact.key)) {
          reader.reportAt(
            fact.keyOffset,
            fact.path,
            `"${fact.key}" is not a fact name (1-48 characters of [a-z0-9_])`,
          );
        }
        const value = factValue(reader, fact);
        if (value !== undefined) named.set(fact.key, value);
      }
    }
  }
  return facts;
}

function factValue(reader: YamlReader, at: At): string | undefined {
  if (at.node === null || !('items' in at.node)) return reader.string(at, true);
  const items = reader.strings(at, (item) => {
    const text = reader.string(item, true);
    if (text?.includes(',')) {
      reader.report(item, 'a list item must not contain a comma (lists are stored comma-joined)');
      return undefined;
    }
    return text;
  });
  return items?.join(',');
}

/** Assembles the world the rules share. */
export function makeWorld(tenants: ReadonlyMap<string, TenantTime>, staticFacts: StaticFacts): PolicyWorld {
  return { tenants, fallback: { clock: new ZoneClock('UTC'), hours: undefined }, staticFacts };
}
