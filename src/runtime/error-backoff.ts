// Per-key exponential backoff for reconcile errors, like client-go's per-item rate limiter: the
// n-th consecutive failure of a key waits base·2ⁿ⁻¹, capped; a success forgets the key.
export class ErrorBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
  ) {}

  next(key: string): number {
    const count = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, count);
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(count - 1, 30));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}
