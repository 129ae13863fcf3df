import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../src/suggest.js';

describe('closest names (edit distance)', () => {
  it('measures Levenshtein distance', () => {
    expect(editDistance('list_customer', 'list_customers')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('names the nearest first, at most three, and nothing for a name that is far from all', () => {
    const names = ['list_customers', 'get_customer', 'list_subscriptions', 'customers', 'export_customers'];
    expect(closest('list_customer', names)).toEqual(['list_customers', 'get_customer']);
    expect(closest('drop_database', names)).toEqual([]);
    expect(didYouMean('customerz', names)).toBe('did you mean customers?');
    expect(didYouMean('customer', names)).toBe('did you mean customers, get_customer or list_customers?');
    expect(didYouMean('zzz', names)).toBeUndefined();
  });
});
