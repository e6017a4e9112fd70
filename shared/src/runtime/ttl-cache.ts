import type { Clock } from '../domain/ids.ts';

interface Entry<V> {
  value: Promise<V>;
  loadedAt: number;
}

/**
 * Values reused for `ttlMs` after they were loaded (0: loaded every time). Concurrent misses for
 * one key share one load; a failed load is not kept. At most `maxEntries` are held: the oldest
 * goes first, so a flood of distinct keys costs memory bounded by the cap.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(ttlMs: number, clock: Clock, maxEntries = 10_000) {
    this.ttlMs = ttlMs;
    this.clock = clock;
    this.maxEntries = maxEntries;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now().getTime();
    const entry = this.entries.get(key);
    if (entry && now - entry.loadedAt < this.ttlMs) return entry.value;
    const value = load();
    if (this.ttlMs > 0) {
      this.entries.delete(key);
      this.entries.set(key, { value, loadedAt: now });
      value.catch(() => {
        if (this.entries.get(key)?.value === value) this.entries.delete(key);
      });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return value;
  }

  /** Drops `key`'s value, so the next get loads it (e.g. after this process changed it). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every value. */
  clear(): void {
    this.entries.clear();
  }

  /** Changes a held value in place (keeping its age), e.g. to count what this process just did. */
  adjust(key: string, change: (value: V) => V): void {
    const entry = this.entries.get(key);
    if (entry) entry.value = entry.value.then(change);
  }
}
