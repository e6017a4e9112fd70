import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { UsageReportQuery } from '@agent-runner/shared/jobs/report-usage.ts';
import type { FieldError } from '../schemas/problem.ts';
import { DEFAULT_USAGE_WINDOW_HOURS, MAX_USAGE_WINDOW_DAYS, UsageQuerySchema } from '../schemas/usage.ts';
import { fieldErrors, summarize } from '@agent-runner/shared/validation/field-errors.ts';

const HOUR_MS = 3_600_000;

/** GET /usage query parameters as a report query (defaults resolved at `now`), or ValidationError naming each bad one. */
export function parseUsageQuery(query: Record<string, unknown>, now: Date): UsageReportQuery {
  const parsed = UsageQuerySchema.safeParse(query);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error.issues));
  const to = parsed.data.to !== undefined ? new Date(parsed.data.to) : now;
  const from = parsed.data.from !== undefined ? new Date(parsed.data.from) : new Date(to.getTime() - DEFAULT_USAGE_WINDOW_HOURS * HOUR_MS);
  if (from.getTime() >= to.getTime()) throw invalid([{ path: 'to', message: 'must be later than from' }]);
  if (to.getTime() - from.getTime() > MAX_USAGE_WINDOW_DAYS * 24 * HOUR_MS) {
    throw invalid([{ path: 'from', message: `must be at most ${MAX_USAGE_WINDOW_DAYS} days before to` }]);
  }
  return { from, to, groupBy: parsed.data.group_by, ...(parsed.data.tenant !== undefined && { tenant: parsed.data.tenant }) };
}

function invalid(errors: FieldError[]): ValidationError {
  return new ValidationError(`invalid query parameters: ${summarize(errors)}`, { problem: 'invalid-query', errors });
}
