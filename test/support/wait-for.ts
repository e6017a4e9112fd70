/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Waits for every concurrency slot to be free. A job's slots are released just after its end is
 * recorded, so a test that has seen the end may still see the last slots for a moment; a slot held
 * past `timeoutMs` leaked (the dispatcher's orphan sweep would free it only after the claim timeout).
 */
export async function waitForSlotsReleased(leases: { list(): Promise<readonly unknown[]> }, timeoutMs = 5_000): Promise<void> {
  await waitFor('every concurrency slot to be released', async () => ((await leases.list()).length === 0 ? true : undefined), {
    timeoutMs,
  });
}
