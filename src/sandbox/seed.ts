/**
 * Deterministic seed data of the two sandbox sites, anchored to the sandbox's clock at reset. The dates
 * below are written as they are when the sandbox's today is 2026-11-21 (REFERENCE_TODAY); at reset every
 * date moves by whole days so that the reference day becomes the sandbox's today. So running terms
 * contain today and trials have not ended, whatever the clock says, and the same clock gives the same data.
 */
import {
  addPeriod, attachCard, cancelNow, lineItems, newCustomer, newInvoice, newSubscription, scheduleCancel,
  subscriptionItem, type CustomerInput,
} from './objects.js';
import { emptySite, type Site } from './store.js';
import type {
  Coupon, Customer, InvoiceStatus, ItemPrice, ItemType, PricingModel, Status, Subscription, SubscriptionStatus, Tier,
} from './types.js';

const tier = (starting_unit: number, ending_unit: number | undefined, price: number, extra: Partial<Tier> = {}): Tier => ({ starting_unit, ending_unit, price, ...extra, object: 'tier' });

const DAY_S = 86_400;
/** The sandbox's today for which the dates below are written. */
const REFERENCE_TODAY = Date.parse('2026-11-21T00:00:00Z') / 1000;
/** Whole days (in seconds) between REFERENCE_TODAY and the sandbox's today; set by seedSite. */
let shift = 0;

/** Unix seconds of a seed date (`'2026-11-01'`), moved to the sandbox's clock. */
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000 + shift;

interface SiteSeed {
  connectionId: string;
  slug: string;
  currency: string;
  family: { id: string; name: string };
  /** [id, type, name, status] */
  items: [string, ItemType, string, Status?][];
  /** [id, item id, pricing model, price in cents, period unit (none for a charge), status, trial days, tiers / free quantity / trial end action] */
  prices: [string, string, PricingModel, number, ItemPrice['period_unit'], Status?, number?, Pick<Partial<ItemPrice>, 'name' | 'tiers' | 'free_quantity' | 'trial_end_action'>?][];
  coupons: (Pick<Coupon, 'id' | 'name' | 'discount_type' | 'discount_percentage' | 'discount_amount' | 'duration_type' | 'duration_month'> & Partial<Pick<Coupon, 'period' | 'period_unit' | 'apply_on' | 'item_constraints'>>)[];
  customers: CustomerSeed[];
  subscriptions: SubscriptionSeed[];
  /**
   * Ids `inv_<slug>_0001`… in this order: a subscription's term invoice or a one-off charge. `only`: the
   * invoice bills only these items (a mid-term change), `amount` its prorated amount to the term end;
   * `paid`: a partly paid invoice's amount paid.
   */
  invoiceRows: [owner: { sub: number; only?: string[]; amount?: number; paid?: number } | { customer: number; charge: string }, date: string, status: InvoiceStatus][];
}

interface CustomerSeed extends CustomerInput {
  first_name: string;
  last_name: string;
  email: string;
  company: string;
  created: string;
  /** [line1, city, state code, zip, country] */
  address: [string, string, string | undefined, string, string];
  card?: ['visa' | 'mastercard' | 'american_express', string, [number, number]];
  /** Balances applied to new invoices before anything is charged. */
  balances?: Partial<Pick<Customer, 'promotional_credits' | 'refundable_credits' | 'excess_payments'>>;
}

interface SubscriptionSeed {
  customer: number;
  status: SubscriptionStatus;
  items: [itemPriceId: string, quantity: number][];
  created: string;
  /** Start of the current (or last) term; the start date of a future subscription; the trial start. */
  term: string;
  trialEnd?: string;
  /** When it was cancelled / transferred / paused. */
  ended?: string;
  resumes?: string;
  cancelReason?: string;
  cancelReasonCode?: string;
  coupon?: string;
  remainingBillingCycles?: number;
  autoCollection?: 'on' | 'off';
  /** A contract term of `cycles` billing periods from `start`. */
  contract?: { start: string; cycles: number };
  trialEndAction?: Subscription['trial_end_action'];
}

const ACME: SiteSeed = {
  connectionId: 'sandbox-acme',
  slug: 'acme',
  currency: 'USD',
  family: { id: 'acme-products', name: 'Acme Products' },
  items: [
    ['basic', 'plan', 'Basic'],
    ['pro', 'plan', 'Pro'],
    ['extra-seats', 'addon', 'Extra Seats'],
    ['setup-fee', 'charge', 'Setup Fee'],
    ['legacy', 'plan', 'Legacy', 'archived'],
    ['storage', 'addon', 'Storage'],
    ['volume-seats', 'addon', 'Volume Seats'],
    ['support', 'addon', 'Support'],
    ['sms', 'addon', 'SMS'],
    ['team', 'plan', 'Team'],
  ],
  prices: [
    ['basic-USD-monthly', 'basic', 'flat_fee', 4900, 'month'],
    ['basic-USD-yearly', 'basic', 'flat_fee', 49000, 'year'],
    ['pro-USD-monthly', 'pro', 'flat_fee', 9900, 'month', 'active', 14],
    ['pro-USD-yearly', 'pro', 'flat_fee', 99000, 'year', 'active', 14],
    ['extra-seats-USD-monthly', 'extra-seats', 'per_unit', 1000, 'month'],
    ['setup-fee-USD', 'setup-fee', 'flat_fee', 5000, undefined],
    ['legacy-USD-monthly', 'legacy', 'flat_fee', 2900, 'month', 'archived'],
    // Every pricing model, with tiers: tiered (units from successive tiers), volume (the tier the total falls in prices
    // every unit), stairstep (a flat price per tier), package (whole packages of 100), per unit with free units.
    ['storage-tiered-USD-monthly', 'storage', 'tiered', 0, 'month', 'active', undefined, { tiers: [tier(1, 10, 500), tier(11, undefined, 300)] }],
    ['seats-volume-USD-monthly', 'volume-seats', 'volume', 0, 'month', 'active', undefined, { tiers: [tier(1, 10, 800), tier(11, undefined, 600)] }],
    ['support-stairstep-USD-monthly', 'support', 'stairstep', 0, 'month', 'active', undefined, { tiers: [tier(1, 10, 5000), tier(11, 20, 9000), tier(21, undefined, 12000)] }],
    ['sms-package-USD-monthly', 'sms', 'tiered', 0, 'month', 'active', undefined, { tiers: [tier(1, undefined, 2000, { pricing_type: 'package', package_size: 100 })] }],
    ['team-USD-monthly', 'team', 'per_unit', 1000, 'month', 'active', undefined, { free_quantity: 2 }],
    // A plan price whose trial ends by cancelling the subscription.
    ['pro-trial-cancel-USD-monthly', 'pro', 'flat_fee', 9900, 'month', 'active', 14, { name: 'Pro USD Monthly, trial ends by cancelling', trial_end_action: 'cancel_subscription' }],
  ],
  coupons: [
    { id: 'FIFTYOFF', name: '50% off for 3 months', discount_type: 'percentage', discount_percentage: 50, duration_type: 'limited_period', duration_month: 3, period: 3, period_unit: 'month' },
    { id: 'WELCOME10', name: '$10 off the first invoice', discount_type: 'fixed_amount', discount_amount: 1000, duration_type: 'one_time' },
    { id: 'HALF1M', name: '50% off for 1 month', discount_type: 'percentage', discount_percentage: 50, duration_type: 'limited_period', duration_month: 1, period: 1, period_unit: 'month' },
    { id: 'WEEK2', name: '20% off for 2 weeks', discount_type: 'percentage', discount_percentage: 20, duration_type: 'limited_period', period: 2, period_unit: 'week' },
    { id: 'PLAN20', name: '20% off the plan', discount_type: 'percentage', discount_percentage: 20, duration_type: 'forever', apply_on: 'each_specified_item', item_constraints: [{ item_type: 'plan', constraint: 'all' }] },
  ],
  customers: [
    { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines Ltd', phone: '+44 20 7946 0101', created: '2025-02-03', address: ['12 St James’s Square', 'London', undefined, 'SW1Y 4JH', 'GB'], card: ['visa', '4242', [12, 2028]], meta_data: { segment: 'enterprise', source: 'demo' }, cf_region: 'emea' },
    { first_name: 'Grace', last_name: 'Hopper', email: 'grace@cobol.example', company: 'Compiler Systems Inc', phone: '+1 703 555 0102', created: '2025-03-11', address: ['1 Navy Yard Way', 'Arlington', 'VA', '22202', 'US'], card: ['mastercard', '4444', [3, 2027]], cf_region: 'amer' },
    { first_name: 'Alan', last_name: 'Turing', email: 'alan@bletchley.example', company: 'Bletchley Computing', phone: '+44 1625 550103', created: '2025-04-22', address: ['43 Adlington Road', 'Wilmslow', undefined, 'SK9 2BJ', 'GB'], card: ['visa', '1881', [6, 2029]], cf_region: 'emea' },
    { first_name: 'Katherine', last_name: 'Johnson', email: 'katherine@trajectory.example', company: 'Trajectory Analytics', phone: '+1 757 555 0104', created: '2025-05-30', address: ['100 Langley Blvd', 'Hampton', 'VA', '23681', 'US'], auto_collection: 'off', net_term_days: 30, offline_payment_method: 'bank_transfer', cf_region: 'amer' },
    { first_name: 'Edsger', last_name: 'Dijkstra', email: 'edsger@shortestpath.example', company: 'Shortest Path BV', phone: '+31 20 555 0105', created: '2025-06-14', address: ['Keizersgracht 105', 'Amsterdam', undefined, '1015 CJ', 'NL'], card: ['visa', '0005', [9, 2027]], cf_region: 'emea' },
    { first_name: 'Hedy', last_name: 'Lamarr', email: 'hedy@frequency.example', company: 'Frequency Hopping Co', phone: '+1 310 555 0106', created: '2025-07-09', address: ['9 Sunset Plaza', 'Los Angeles', 'CA', '90069', 'US'], card: ['american_express', '0006', [1, 2028]], meta_data: { referral: 'conference' }, cf_region: 'amer' },
    { first_name: 'John', last_name: 'von Neumann', email: 'john@stored-program.example', company: 'Stored Program Corp', phone: '+1 609 555 0107', created: '2025-08-18', address: ['1 Einstein Drive', 'Princeton', 'NJ', '08540', 'US'], card: ['visa', '0007', [11, 2029]], cf_region: 'amer' },
    { first_name: 'Claude', last_name: 'Shannon', email: 'claude@information.example', company: 'Information Theory Labs', phone: '+1 617 555 0108', created: '2025-09-02', address: ['77 Massachusetts Ave', 'Cambridge', 'MA', '02139', 'US'], card: ['mastercard', '0008', [5, 2027]], cf_region: 'amer' },
    { first_name: 'Annie', last_name: 'Easley', email: 'annie@centaur.example', company: 'Centaur Rocketry', phone: '+1 216 555 0109', created: '2025-10-27', address: ['21000 Brookpark Road', 'Cleveland', 'OH', '44135', 'US'], card: ['visa', '0009', [8, 2028]] },
    { first_name: 'Charles', last_name: 'Babbage', email: 'charles@difference.example', company: 'Difference Engine Works', phone: '+44 20 7946 0110', created: '2025-12-05', address: ['1 Dorset Street', 'London', undefined, 'W1U 4EG', 'GB'], auto_collection: 'off', taxability: 'exempt', cf_region: 'emea' },
    { first_name: 'Emmy', last_name: 'Noether', email: 'emmy@symmetry.example', company: 'Symmetrie GmbH', phone: '+49 551 5550111', created: '2026-01-19', address: ['Bunsenstraße 3', 'Göttingen', undefined, '37073', 'DE'], card: ['visa', '0011', [2, 2029]], meta_data: { language: 'de' }, cf_region: 'emea' },
    { first_name: 'Kurt', last_name: 'Gödel', email: 'kurt@incompleteness.example', company: 'Unvollständigkeit Institut', phone: '+43 1 5550112', created: '2026-03-08', address: ['Josefstädter Straße 43', 'Wien', undefined, '1080', 'AT'], card: ['mastercard', '0012', [7, 2028]], cf_region: 'emea' },
    { first_name: 'Dorothy', last_name: 'Vaughan', email: 'dorothy@west-computing.example', company: 'West Computing Unit', phone: '+1 757 555 0113', created: '2026-06-21', address: ['8 Wythe Creek Road', 'Hampton', 'VA', '23666', 'US'], card: ['visa', '0013', [10, 2030]], cf_region: 'amer' },
    // Balances applied to new invoices (so amount_due is below total).
    { first_name: 'Barbara', last_name: 'Liskov', email: 'barbara@substitution.example', company: 'Substitution Systems', phone: '+1 617 555 0114', created: '2026-07-01', address: ['32 Vassar Street', 'Cambridge', 'MA', '02139', 'US'], card: ['visa', '0014', [4, 2030]], balances: { promotional_credits: 4000 } },
    { first_name: 'Frances', last_name: 'Allen', email: 'frances@optimizing.example', company: 'Optimizing Compilers LLC', phone: '+1 914 555 0115', created: '2026-08-01', address: ['1101 Kitchawan Road', 'Yorktown Heights', 'NY', '10598', 'US'], card: ['mastercard', '0015', [9, 2029]], balances: { refundable_credits: 3000, excess_payments: 1500 } },
    { first_name: 'Margaret', last_name: 'Hamilton', email: 'margaret@apollo.example', company: 'Apollo Guidance Software', phone: '+1 617 555 0116', created: '2026-09-01', address: ['75 Cambridge Parkway', 'Cambridge', 'MA', '02142', 'US'], card: ['visa', '0016', [3, 2031]], balances: { refundable_credits: 2500 } },
  ],
  subscriptions: [
    { customer: 1, status: 'active', items: [['basic-USD-monthly', 1]], created: '2025-02-03', term: '2026-11-01' },
    { customer: 2, status: 'active', items: [['pro-USD-monthly', 1], ['extra-seats-USD-monthly', 3]], created: '2025-04-11', term: '2026-11-10' },
    { customer: 3, status: 'active', items: [['pro-USD-yearly', 1]], created: '2025-04-22', term: '2026-04-22' },
    { customer: 4, status: 'active', items: [['basic-USD-monthly', 1]], created: '2025-05-30', term: '2026-11-05' },
    { customer: 5, status: 'in_trial', items: [['pro-USD-monthly', 1]], created: '2026-11-10', term: '2026-11-10', trialEnd: '2026-11-24' },
    { customer: 6, status: 'in_trial', items: [['basic-USD-monthly', 1]], created: '2026-11-18', term: '2026-11-18', trialEnd: '2026-12-02', coupon: 'FIFTYOFF' },
    { customer: 7, status: 'future', items: [['basic-USD-yearly', 1]], created: '2026-10-28', term: '2026-12-01' },
    { customer: 8, status: 'non_renewing', items: [['pro-USD-monthly', 1]], created: '2025-09-02', term: '2026-11-02', cancelReasonCode: 'Not needed anymore' },
    { customer: 9, status: 'paused', items: [['basic-USD-monthly', 1]], created: '2025-10-27', term: '2026-09-27', ended: '2026-10-27', resumes: '2027-01-27' },
    { customer: 10, status: 'cancelled', items: [['legacy-USD-monthly', 1]], created: '2025-12-05', term: '2026-07-05', ended: '2026-08-05', cancelReason: 'not_paid' },
    { customer: 11, status: 'cancelled', items: [['pro-USD-monthly', 1]], created: '2026-01-19', term: '2026-05-19', ended: '2026-06-19', cancelReasonCode: 'Too expensive' },
    { customer: 12, status: 'transferred', items: [['basic-USD-monthly', 1]], created: '2026-03-08', term: '2026-06-08', ended: '2026-07-08' },
    { customer: 13, status: 'active', items: [['pro-USD-monthly', 1], ['extra-seats-USD-monthly', 5]], created: '2026-06-21', term: '2026-10-25' },
    { customer: 2, status: 'cancelled', items: [['basic-USD-monthly', 1]], created: '2025-03-11', term: '2025-03-11', ended: '2025-04-11', cancelReasonCode: 'Upgraded to Pro' },
    { customer: 3, status: 'active', items: [['basic-USD-yearly', 1]], created: '2026-08-01', term: '2026-08-01', coupon: 'FIFTYOFF', remainingBillingCycles: 2 },
    // A plan with a one-time setup charge (on its first invoice only).
    { customer: 5, status: 'active', items: [['basic-USD-monthly', 1], ['setup-fee-USD', 1]], created: '2026-11-15', term: '2026-11-15' },
    // Auto-collection off on the subscription: its term invoice is left payment_due.
    { customer: 12, status: 'active', items: [['pro-USD-monthly', 1]], created: '2026-10-08', term: '2026-11-08', autoCollection: 'off' },
    // On a 12-month contract term.
    { customer: 11, status: 'active', items: [['basic-USD-monthly', 1]], created: '2026-06-01', term: '2026-11-01', contract: { start: '2026-06-01', cycles: 12 } },
    // 19: an unpaid ($99 payment_due) term invoice; the customer holds refundable credits and excess payments.
    { customer: 15, status: 'active', items: [['pro-USD-monthly', 1]], created: '2026-09-10', term: '2026-11-10' },
    // 20: two seats added mid-term: the term's charges sit on two invoices (the term's and a proration).
    { customer: 16, status: 'active', items: [['pro-USD-monthly', 1], ['extra-seats-USD-monthly', 2]], created: '2026-10-10', term: '2026-11-10' },
    // 21: a partly paid term invoice ($20 paid of $49).
    { customer: 16, status: 'active', items: [['basic-USD-monthly', 1]], created: '2026-11-05', term: '2026-11-05' },
    // 22: a trial that ends by cancelling the subscription.
    { customer: 14, status: 'in_trial', items: [['pro-USD-monthly', 1]], created: '2026-11-15', term: '2026-11-15', trialEnd: '2026-11-29', trialEndAction: 'cancel_subscription' },
  ],
  invoiceRows: [
    [{ sub: 14 }, '2025-03-11', 'paid'],
    [{ sub: 3 }, '2026-04-22', 'paid'],
    [{ sub: 11 }, '2026-05-19', 'paid'],
    [{ sub: 12 }, '2026-06-08', 'paid'],
    [{ sub: 10 }, '2026-07-05', 'not_paid'],
    [{ sub: 15 }, '2026-08-01', 'paid'],
    [{ sub: 9 }, '2026-09-27', 'paid'],
    [{ sub: 1 }, '2026-10-01', 'paid'],
    [{ sub: 4 }, '2026-10-05', 'payment_due'],
    [{ sub: 13 }, '2026-10-25', 'voided'],
    [{ sub: 13 }, '2026-10-25', 'paid'],
    [{ sub: 8 }, '2026-11-02', 'paid'],
    [{ sub: 1 }, '2026-11-01', 'paid'],
    [{ sub: 4 }, '2026-11-05', 'posted'],
    [{ sub: 2 }, '2026-11-10', 'paid'],
    [{ customer: 2, charge: 'setup-fee-USD' }, '2026-11-10', 'paid'],
    [{ sub: 16 }, '2026-11-15', 'paid'],
    [{ sub: 17 }, '2026-11-08', 'payment_due'],
    [{ sub: 18 }, '2026-11-01', 'paid'],
    [{ sub: 19 }, '2026-11-10', 'payment_due'],
    [{ sub: 20, only: ['pro-USD-monthly'] }, '2026-11-10', 'paid'],
    [{ sub: 20, only: ['extra-seats-USD-monthly'], amount: 1667 }, '2026-11-15', 'paid'],
    [{ sub: 21, paid: 2000 }, '2026-11-05', 'payment_due'],
  ],
};

const GLOBEX: SiteSeed = {
  connectionId: 'sandbox-globex',
  slug: 'globex',
  currency: 'EUR',
  family: { id: 'globex-products', name: 'Globex Products' },
  items: [
    ['starter', 'plan', 'Starter'],
    ['enterprise', 'plan', 'Enterprise'],
    ['priority-support', 'addon', 'Priority Support'],
    ['onboarding', 'charge', 'Onboarding'],
  ],
  prices: [
    ['starter-EUR-monthly', 'starter', 'flat_fee', 2900, 'month'],
    ['starter-EUR-yearly', 'starter', 'flat_fee', 29000, 'year'],
    ['enterprise-EUR-monthly', 'enterprise', 'flat_fee', 24900, 'month', 'active', 30],
    ['enterprise-EUR-yearly', 'enterprise', 'flat_fee', 249000, 'year'],
    ['priority-support-EUR-monthly', 'priority-support', 'per_unit', 5000, 'month'],
    ['onboarding-EUR', 'onboarding', 'flat_fee', 15000, undefined],
  ],
  coupons: [
    { id: 'LOYAL20', name: '20% off forever', discount_type: 'percentage', discount_percentage: 20, duration_type: 'forever' },
  ],
  customers: [
    { first_name: 'Hank', last_name: 'Scorpio', email: 'hank@globex.example', company: 'Globex Corporation', phone: '+33 1 55 50 02 01', created: '2025-01-07', address: ['5 Avenue Anatole France', 'Paris', undefined, '75007', 'FR'], card: ['visa', '2201', [4, 2029]], preferred_currency_code: 'EUR', meta_data: { tier: 'strategic' } },
    { first_name: 'Marie', last_name: 'Curie', email: 'marie@radium.example', company: 'Institut du Radium', phone: '+33 1 55 50 02 02', created: '2025-05-12', address: ['11 Rue Pierre et Marie Curie', 'Paris', undefined, '75005', 'FR'], card: ['mastercard', '2202', [9, 2028]], preferred_currency_code: 'EUR' },
    { first_name: 'Lise', last_name: 'Meitner', email: 'lise@fission.example', company: 'Fission Analytics AB', phone: '+46 8 555 002 03', created: '2026-11-15', address: ['Drottninggatan 90', 'Stockholm', undefined, '111 36', 'SE'], card: ['visa', '2203', [2, 2030]], preferred_currency_code: 'EUR' },
    { first_name: 'Niels', last_name: 'Bohr', email: 'niels@quantum.example', company: 'Quantum Modellering ApS', phone: '+45 35 55 02 04', created: '2025-10-25', address: ['Blegdamsvej 17', 'København', undefined, '2100', 'DK'], auto_collection: 'off', net_term_days: 14, offline_payment_method: 'sepa_credit', preferred_currency_code: 'EUR' },
    { first_name: 'Rosalind', last_name: 'Franklin', email: 'rosalind@helix.example', company: 'Double Helix Ltd', phone: '+353 1 555 0205', created: '2024-06-01', address: ['24 Grafton Street', 'Dublin', undefined, 'D02 XY45', 'IE'], card: ['visa', '2205', [12, 2027]], preferred_currency_code: 'EUR' },
    { first_name: 'Enrico', last_name: 'Fermi', email: 'enrico@paradox.example', company: 'Paradox Fisica Srl', phone: '+39 06 5550 0206', created: '2026-07-14', address: ['Via Panisperna 89', 'Roma', undefined, '00184', 'IT'], card: ['american_express', '2206', [6, 2028]], preferred_currency_code: 'EUR' },
  ],
  subscriptions: [
    { customer: 1, status: 'active', items: [['enterprise-EUR-yearly', 1], ['priority-support-EUR-monthly', 2]], created: '2025-03-01', term: '2026-03-01', coupon: 'LOYAL20' },
    { customer: 2, status: 'active', items: [['starter-EUR-monthly', 1]], created: '2025-05-12', term: '2026-11-03' },
    { customer: 3, status: 'in_trial', items: [['enterprise-EUR-monthly', 1]], created: '2026-11-15', term: '2026-11-15', trialEnd: '2026-12-15' },
    { customer: 4, status: 'non_renewing', items: [['starter-EUR-monthly', 1]], created: '2025-10-25', term: '2026-10-25' },
    { customer: 5, status: 'cancelled', items: [['starter-EUR-yearly', 1]], created: '2024-06-01', term: '2025-06-01', ended: '2026-06-01', cancelReasonCode: 'Company closed' },
    { customer: 6, status: 'paused', items: [['starter-EUR-monthly', 1]], created: '2026-07-14', term: '2026-08-14', ended: '2026-09-14', resumes: '2026-12-14' },
  ],
  invoiceRows: [
    [{ sub: 5 }, '2025-06-01', 'paid'],
    [{ sub: 1 }, '2026-03-01', 'paid'],
    [{ customer: 1, charge: 'onboarding-EUR' }, '2026-03-01', 'paid'],
    [{ sub: 6 }, '2026-08-14', 'paid'],
    [{ sub: 4 }, '2026-10-25', 'payment_due'],
    [{ sub: 2 }, '2026-11-03', 'paid'],
  ],
};

const SEEDS: Record<string, SiteSeed> = { [ACME.connectionId]: ACME, [GLOBEX.connectionId]: GLOBEX };

const catalogueDate = () => day('2025-01-02');
const two = (n: number) => String(n).padStart(2, '0');
const ms = (s: number) => s * 1000;

/** A fresh copy of a seeded site, its dates anchored to `today` (the sandbox clock, Unix seconds). */
export function seedSite(connectionId: string, today: number): Site {
  const seed = SEEDS[connectionId];
  if (!seed) throw new Error(`no seed for ${connectionId}`);
  shift = Math.floor(today / DAY_S) * DAY_S - REFERENCE_TODAY;
  const site = emptySite(seed.connectionId, seed.slug, seed.currency);
  seedCatalogue(site, seed);
  seedCustomers(site, seed);
  seedSubscriptions(site, seed);
  seedInvoices(site, seed);
  return site;
}

function seedCatalogue(site: Site, seed: SiteSeed): void {
  const at = catalogueDate();
  site.itemFamilies.add({ ...seed.family, status: 'active', resource_version: ms(at), updated_at: at, channel: 'web', object: 'item_family' });
  // Later seed rows get earlier update times, so the default order (updated_at desc) is the seed order.
  seed.items.forEach(([id, type, name, status = 'active'], i) => {
    const updated = at + (seed.items.length - i) * 60;
    site.items.add({
      id, name, external_name: name, status, resource_version: ms(updated), updated_at: updated,
      item_family_id: seed.family.id, type, is_shippable: false, is_giftable: false,
      enabled_for_checkout: type === 'plan', enabled_in_portal: type === 'plan', item_applicability: 'all',
      metered: false, archived_at: status === 'archived' ? updated : undefined, channel: 'web', deleted: false, object: 'item',
    });
  });
  seed.prices.forEach(([id, itemId, model, price, unit, status = 'active', trialDays, extra = {}], i) => {
    const item = site.items.get(itemId);
    if (!item) throw new Error(`seed: unknown item ${itemId}`);
    const updated = at + (seed.prices.length - i) * 60;
    const cadence = unit ? ` ${unit === 'month' ? 'Monthly' : 'Yearly'}` : '';
    site.itemPrices.add({
      id, name: `${item.name} ${seed.currency}${cadence}`, external_name: `${item.name}${cadence && ` (${cadence.trim().toLowerCase()})`}`,
      item_family_id: seed.family.id, item_id: itemId, status, pricing_model: model, price,
      period: unit && 1, period_unit: unit, trial_period: trialDays, trial_period_unit: trialDays ? 'day' : undefined,
      currency_code: seed.currency, free_quantity: 0, is_taxable: true, created_at: updated, updated_at: updated,
      resource_version: ms(updated), archived_at: status === 'archived' ? updated : undefined, item_type: item.type,
      channel: 'web', deleted: false, object: 'item_price', ...extra,
    });
  });
  for (const c of seed.coupons) {
    site.coupons.add({
      ...c, invoice_name: c.name, currency_code: c.discount_type === 'fixed_amount' ? seed.currency : undefined,
      status: 'active', apply_on: 'invoice_amount', ...c, created_at: at, updated_at: at, resource_version: ms(at), object: 'coupon',
    });
  }
}

function seedCustomers(site: Site, seed: SiteSeed): void {
  seed.customers.forEach(({ created, address, card, balances, ...input }, i) => {
    const [line1, city, state_code, zip, country] = address;
    const at = day(created);
    const customer = newCustomer(`cust_${seed.slug}_${two(i + 1)}`, {
      ...input,
      billing_address: { first_name: input.first_name, last_name: input.last_name, company: input.company, line1, city, state_code, zip, country },
    }, at, ms(at));
    Object.assign(customer, balances);
    site.customers.add(customer);
    if (card) site.cards.set(customer.id, attachCard(customer, ...card));
  });
}

function seedSubscriptions(site: Site, seed: SiteSeed): void {
  const price = (id: string) => {
    const p = site.itemPrices.get(id);
    if (!p) throw new Error(`seed: unknown item price ${id}`);
    return p;
  };
  seed.subscriptions.forEach((s, i) => {
    const created = day(s.created);
    const initial = s.status === 'future' || s.status === 'in_trial' ? s.status : 'active';
    const sub = newSubscription({
      id: `sub_${seed.slug}_${two(i + 1)}`,
      customer_id: `cust_${seed.slug}_${two(s.customer)}`,
      plan: price(s.items[0]![0]),
      items: s.items.map(([id, quantity]) => subscriptionItem(price(id), quantity)),
      created_at: created,
      resource_version: ms(created),
    }, initial, day(s.term), s.trialEnd ? day(s.trialEnd) : undefined);
    if (initial === 'active') sub.started_at = sub.activated_at = created;
    if (s.coupon) sub.coupons = [{ coupon_id: s.coupon, applied_count: 1, object: 'coupon' }];
    if (s.remainingBillingCycles !== undefined) sub.remaining_billing_cycles = s.remainingBillingCycles;
    if (s.autoCollection) sub.auto_collection = s.autoCollection;
    if (s.trialEndAction) sub.trial_end_action = s.trialEndAction;
    if (s.contract) {
      const start = day(s.contract.start);
      const perTerm = sub.subscription_items.filter((item) => item.item_type !== 'charge').reduce((sum, item) => sum + item.amount, 0);
      sub.contract_term = {
        id: `ct_${sub.id}`, status: 'active', contract_start: start,
        contract_end: addPeriod(start, sub.billing_period_unit, sub.billing_period * s.contract.cycles), billing_cycle: s.contract.cycles,
        action_at_term_end: 'renew', total_contract_value: perTerm * s.contract.cycles, cancellation_cutoff_period: 0, created_at: start,
        subscription_id: sub.id, object: 'contract_term',
      };
    }
    sub.cancel_reason_code = s.cancelReasonCode;
    const ended = s.ended ? day(s.ended) : undefined;
    switch (s.status) {
      case 'non_renewing':
        scheduleCancel(sub, sub.current_term_end!);
        break;
      case 'paused':
        Object.assign(sub, { status: 'paused', pause_date: ended, resume_date: day(s.resumes!), mrr: 0 });
        delete sub.next_billing_at;
        break;
      case 'cancelled':
      case 'transferred':
        cancelNow(sub, ended!);
        sub.status = s.status;
        sub.cancel_reason = s.cancelReason;
        break;
    }
    sub.updated_at = Math.max(created, day(s.term), ended ?? 0);
    sub.resource_version = ms(sub.updated_at);
    site.subscriptions.add(sub);
  });
}

function seedInvoices(site: Site, seed: SiteSeed): void {
  const priceOf = (id: string) => site.itemPrices.get(id);
  seed.invoiceRows.forEach(([owner, date, status], i) => {
    const at = day(date);
    const sub = 'sub' in owner ? site.subscriptions.get(`sub_${seed.slug}_${two(owner.sub)}`) : undefined;
    const customer = site.customers.get('sub' in owner ? sub?.customer_id ?? '' : `cust_${seed.slug}_${two(owner.customer)}`);
    if (!customer) throw new Error(`seed: bad invoice owner ${JSON.stringify(owner)}`);
    const first = sub !== undefined && !site.invoices.values().some((inv) => inv.subscription_id === sub.id);
    const only = 'sub' in owner ? owner.only : undefined;
    const items = 'sub' in owner
      ? sub?.subscription_items.filter((item) => (first || item.item_type !== 'charge') && (!only || only.includes(item.item_price_id))) ?? []
      : [subscriptionItem(priceOf(owner.charge)!)];
    // A mid-term invoice (a given amount) bills to the current term's end.
    const amount = 'sub' in owner ? owner.amount : undefined;
    const to = sub ? (amount !== undefined && sub.current_term_end ? sub.current_term_end : addPeriod(at, sub.billing_period_unit, sub.billing_period)) : at;
    const id = `inv_${seed.slug}_${String(i + 1).padStart(4, '0')}`;
    const invoice = site.invoices.add(newInvoice({
      id,
      customer,
      subscription: sub,
      currency: seed.currency,
      lines: lineItems({ idPrefix: `li_${id}`, items, priceOf, customerId: customer.id, subscriptionId: sub?.id, from: at, to, amountOf: amount === undefined ? undefined : () => amount }),
      coupons: first ? (sub?.coupons ?? []).map((c) => site.coupons.get(c.coupon_id)!) : [],
      date: at,
      status,
      version: ms(at),
      first,
    }));
    const paid = 'sub' in owner ? owner.paid : undefined;
    if (paid !== undefined) Object.assign(invoice, { amount_paid: paid, amount_due: invoice.total - paid });
    if (sub && (status === 'payment_due' || status === 'not_paid')) sub.due_invoices_count++;
  });
}
