/** Maton's per-key request ceiling: at most `limit` requests in any sliding 1 s window (0 = off). */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(readonly limit: number, private readonly now: () => number) {}

  /** Counts the request and returns true, or returns false (not counted) when over the limit. */
  admit(key: string): boolean {
    if (this.limit <= 0) return true;
    const now = this.now();
    const recent = (this.windows.get(key) ?? []).filter((t) => now - t < 1000);
    const admitted = recent.length < this.limit;
    if (admitted) recent.push(now);
    this.windows.set(key, recent);
    return admitted;
  }

  clear(): void {
    this.windows.clear();
  }
}
