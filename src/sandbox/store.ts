/** In-memory data of one Chargebee site (one Maton connection), and the sandbox clock. */
import type { PublicFiles } from './downloads.js';
import type { ExportJob } from './exports.js';
import type { HttpResponse } from './http.js';
import type {
  Card, Coupon, CreditNote, Customer, HostedPage, Invoice, Item, ItemFamily, ItemPrice, PortalSession, Subscription,
} from './types.js';

export interface Row<T> {
  /** Insertion sequence number: the tie-breaker of list order and the second half of `next_offset`. */
  seq: number;
  value: T;
}

/** Objects by id, remembering insertion order. */
export class Collection<T extends { id: string }> {
  private readonly byId = new Map<string, Row<T>>();
  constructor(private readonly nextSeq: () => number) {}

  get(id: string): T | undefined {
    return this.byId.get(id)?.value;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  add(value: T): T {
    this.byId.set(value.id, { seq: this.nextSeq(), value });
    return value;
  }

  rows(): Row<T>[] {
    return [...this.byId.values()];
  }

  values(): T[] {
    return this.rows().map((r) => r.value);
  }
}

export interface IdempotencyRecord {
  fingerprint: string;
  response: HttpResponse;
  at: number;
}

export interface Site {
  connectionId: string;
  /** Short name used in generated ids: `inv_acme_0013`. */
  slug: string;
  currency: string;
  customers: Collection<Customer>;
  /** Each customer's card, by customer id. */
  cards: Map<string, Card>;
  itemFamilies: Collection<ItemFamily>;
  items: Collection<Item>;
  itemPrices: Collection<ItemPrice>;
  coupons: Collection<Coupon>;
  subscriptions: Collection<Subscription>;
  invoices: Collection<Invoice>;
  creditNotes: Collection<CreditNote>;
  hostedPages: Collection<HostedPage>;
  portalSessions: Collection<PortalSession>;
  exports: Collection<ExportJob>;
  idempotency: Map<string, IdempotencyRecord>;
  /** Scheduled cancellations that carry a credit option (specific_date): issued when the cancellation happens. */
  pendingCancelCredits: Map<string, 'prorate' | 'full'>;
}

export function emptySite(connectionId: string, slug: string, currency: string): Site {
  let seq = 0;
  const next = () => ++seq;
  return {
    connectionId, slug, currency,
    customers: new Collection(next),
    cards: new Map(),
    itemFamilies: new Collection(next),
    items: new Collection(next),
    itemPrices: new Collection(next),
    coupons: new Collection(next),
    subscriptions: new Collection(next),
    invoices: new Collection(next),
    creditNotes: new Collection(next),
    hostedPages: new Collection(next),
    portalSessions: new Collection(next),
    exports: new Collection(next),
    idempotency: new Map(),
    pendingCancelCredits: new Map(),
  };
}

/** Next id in a numbered series: `inv_acme_0014` after `inv_acme_0013`. */
export function nextNumberedId(collection: Collection<{ id: string }>, prefix: string): string {
  let n = collection.values().length + 1;
  while (collection.has(`${prefix}${String(n).padStart(4, '0')}`)) n++;
  return `${prefix}${String(n).padStart(4, '0')}`;
}

/**
 * The sandbox's notion of time, injectable for tests and settable while running (`POST /_sandbox/clock`,
 * like the time machine of a Chargebee test site), and Chargebee's `resource_version` discipline.
 */
export class Clock {
  private lastVersion = 0;
  private pinnedMs: number | undefined;
  constructor(private readonly base: () => number) {}

  /** ms: the pinned time when one is set, else the injected clock. */
  now(): number {
    return this.pinnedMs ?? this.base();
  }

  /** Pins the clock at `ms`; undefined returns it to the injected clock. */
  pin(ms: number | undefined): void {
    this.pinnedMs = ms;
  }

  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** A fresh resource_version (ms): strictly increasing, even within one millisecond. */
  version(after = 0): number {
    this.lastVersion = Math.max(this.now(), after + 1, this.lastVersion + 1);
    return this.lastVersion;
  }

  /** Records a write: bumps `resource_version` and moves `updated_at` (s) to now, never backwards. */
  touch(obj: { resource_version: number; updated_at: number }): void {
    obj.resource_version = this.version(obj.resource_version);
    obj.updated_at = Math.max(this.seconds(), obj.updated_at);
  }
}

/** Site settings a preview cannot read (Chargebee: Settings > Configure Chargebee); POST /_sandbox/settings. */
export interface SiteSettings {
  /** Credit for the current term when an immediate cancellation does not say (credit_option_for_current_term_charges). */
  credit_option_default: 'none' | 'prorate' | 'full';
  /** Whether charges raised by a write are invoiced at once when the write does not say (invoice_immediately). */
  invoice_immediately: boolean;
}

export const DEFAULT_SETTINGS: SiteSettings = { credit_option_default: 'none', invoice_immediately: true };

/** What handlers need from the running sandbox. */
export interface Env {
  clock: Clock;
  settings: SiteSettings;
  /** e.g. `http://127.0.0.1:41234`: the prefix of download, hosted-page and portal URLs. */
  baseUrl: string;
  files: PublicFiles;
  exportCompleteMs: number;
}
