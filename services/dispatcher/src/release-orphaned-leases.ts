import type { DispatcherDeps } from './dispatcher-deps.ts';

/**
 * Releases concurrency slots whose job is not running: its worker released nothing because it
 * crashed, or a dispatcher died between taking slots and launching. A slot younger than the claim
 * timeout is left alone — it may belong to a launch under way whose claim is not written yet — and
 * so is one whose job changed within it, or whose launch this dispatcher is still making
 * (`launchingHere`: a launch slowed past the claim timeout keeps its slots).
 */
export async function releaseOrphanedLeases(deps: DispatcherDeps, launchingHere: ReadonlySet<string> = new Set()): Promise<number> {
  const cutoff = deps.clock.now().getTime() - deps.config.dispatch.claimTimeoutSeconds * 1000;
  const holders = new Set<string>();
  for (const lease of await deps.leases.list()) {
    if (Date.parse(lease.acquiredAt) < cutoff && !launchingHere.has(lease.holder)) holders.add(lease.holder);
  }
  const released: { job_id: string; status: string }[] = [];
  for (const holder of holders) {
    const job = await deps.jobs.get(holder);
    if (job && (job.status === 'DISPATCHED' || job.status === 'RUNNING')) continue;
    // A job that changed within the claim timeout may be one whose worker is releasing its slots
    // right now (it records the end first, then releases): not an orphan yet.
    if (job && Date.parse(job.updatedAt) >= cutoff) continue;
    await deps.leases.release(holder);
    released.push({ job_id: holder, status: job?.status ?? 'unknown' });
  }
  // Each names a path that should have released its slots and did not: worth a look.
  if (released.length > 0) deps.log.warn({ released }, 'released concurrency slots of jobs that are not running');
  return released.length;
}
