/** Levenshtein distance between two short strings (tool names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidates closest to a mistyped name, nearest first (at most `max`): those within an
 * edit distance of a third of the name's length (at least 2), or that contain it or are contained
 * in it (`get_customer` for `customer`).
 */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const n = name.toLowerCase();
  const limit = Math.max(2, Math.floor(n.length / 3));
  return [...new Set(candidates)]
    .map((c) => ({ c, d: editDistance(n, c.toLowerCase()) }))
    .filter(({ c, d }) => d <= limit || (n.length >= 4 && (c.includes(n) || n.includes(c))))
    .sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1))
    .slice(0, max)
    .map(({ c }) => c);
}

/** "did you mean a, b or c?" for the closest candidates; undefined when none is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const near = closest(name, candidates);
  if (!near.length) return undefined;
  return `did you mean ${near.length === 1 ? near[0] : `${near.slice(0, -1).join(', ')} or ${near.at(-1)}`}?`;
}
