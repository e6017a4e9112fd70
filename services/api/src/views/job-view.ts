import type { Job, JsonValue } from '@agent-runner/shared/domain/job.ts';
import { toJobView as toSharedJobView } from '@agent-runner/shared/jobs/job-view.ts';
import type { JobView } from '../schemas/job-view.ts';

// The view is built in shared/ (the dispatcher sends it in webhooks); typed here against the schema
// that documents it, so the two cannot drift apart unnoticed.
export { jobPath } from '@agent-runner/shared/jobs/job-view.ts';

/** The job as the API shows it; `result` is passed only where the view should carry it. */
export function toJobView(job: Job, result?: JsonValue): JobView {
  return toSharedJobView(job, result);
}
