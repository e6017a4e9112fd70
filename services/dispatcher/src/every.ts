/**
 * Runs `task` every `intervalMs`, never overlapping itself; `stop()` waits for a run in progress.
 * Errors are reported, not thrown: one failed sweep must not stop the next. `atStart`: also once
 * right away (a restarted dispatcher should not wait a whole interval to find what a dead one left).
 */
export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void,
  { atStart = false }: { atStart?: boolean } = {},
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = task()
      .then(() => undefined, onError)
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(run, intervalMs);
  if (atStart) setImmediate(run);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
