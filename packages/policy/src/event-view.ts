import { type DataEvent, formatImprint, formatUuid } from '@msi/core';
import { type BusinessHours, isBusinessTime } from './business-hours.js';
import { type FactSource, NO_FACTS, type StaticFacts } from './facts.js';
import type { LocalTime, ZoneClock } from './local-time.js';

/** A tenant's clock and business hours (from the policy's `tenants` section, or UTC without hours). */
export interface TenantTime {
  readonly clock: ZoneClock;
  readonly hours: BusinessHours | undefined;
}

/** What the rules of one policy share: tenants' time settings and the file's static facts. */
export interface PolicyWorld {
  readonly tenants: ReadonlyMap<string, TenantTime>;
  /** For tenants without settings. */
  readonly fallback: TenantTime;
  readonly staticFacts: StaticFacts;
}

/**
 * One event as the rules see it: text forms and local time computed once, on first use. Facts are
 * looked up on every read (the fact source may change between events).
 */
export class EventView {
  facts: FactSource = NO_FACTS;
  private dataTextMemo: string | undefined = undefined;
  private eventIdMemo: string | undefined = undefined;
  private localMemo: LocalTime | undefined = undefined;
  private readonly time: TenantTime;

  constructor(
    readonly event: DataEvent,
    private readonly world: PolicyWorld,
  ) {
    this.time = world.tenants.get(event.tenant) ?? world.fallback;
  }

  /** The data item's imprint text (formatImprint). */
  get dataText(): string {
    this.dataTextMemo ??= formatImprint(this.event.data);
    return this.dataTextMemo;
  }

  /** The event id as UUID text. */
  get eventIdText(): string {
    this.eventIdMemo ??= formatUuid(this.event.eventId);
    return this.eventIdMemo;
  }

  /** occurred_at on the tenant's wall clock. */
  get local(): LocalTime {
    this.localMemo ??= this.time.clock.localTime(Math.floor(this.event.occurredAt / 1000));
    return this.localMemo;
  }

  /** Whether occurred_at is within the tenant's business hours; undefined when it has none. */
  get businessHours(): boolean | undefined {
    const hours = this.time.hours;
    return hours === undefined ? undefined : isBusinessTime(hours, this.local);
  }

  /** The fact `name` the event's tenant holds about its data item: the fact source first, then the file. */
  fact(name: string): string | undefined {
    const { tenant, data } = this.event;
    const dynamic = this.facts.fact(tenant, data, name);
    if (dynamic !== undefined) return dynamic === '' ? undefined : dynamic;
    const value = this.world.staticFacts.get(tenant)?.get(this.dataText)?.get(name);
    return value === '' ? undefined : value;
  }
}

/** Reuses the view of the last event, so that the rules of a policy evaluated in turn share it. */
export class ViewCache {
  private last: EventView | undefined = undefined;

  constructor(private readonly world: PolicyWorld) {}

  /** The view of `event`, reading facts from `facts`. */
  of(event: DataEvent, facts: FactSource): EventView {
    let view = this.last;
    if (view === undefined || view.event !== event) {
      view = new EventView(event, this.world);
      this.last = view;
    }
    view.facts = facts;
    return view;
  }
}
