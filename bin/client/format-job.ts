import type { JobView } from './api-client.ts';

/** `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`: short enough for a table column. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${two((s % 86_400) / 3600)}h`;
}

/** How long the job has run (until it finished, or until `now`); null before it started. */
export function runTimeMs(job: JobView, now: Date): number | null {
  if (!job.started_at) return null;
  const end = job.finished_at ? Date.parse(job.finished_at) : now.getTime();
  return end - Date.parse(job.started_at);
}

/** The job's cost: the view's `cost_usd` (list entries have it too), else `usage.cost_usd` or a Claude handler's `result.cost_usd`. */
export function costUsdOf(job: JobView): number | null {
  if (typeof job.cost_usd === 'number') return job.cost_usd;
  const fromUsage = (job as { usage?: { cost_usd?: unknown } }).usage?.cost_usd;
  if (typeof fromUsage === 'number') return fromUsage;
  const result = job.result;
  if (result && typeof result === 'object' && !Array.isArray(result) && typeof result.cost_usd === 'number') return result.cost_usd;
  return null;
}

export function formatUsd(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `agent-runner list`: one line per job, newest first as the API lists them. */
export function formatJobTable(jobs: JobView[], now: Date): string {
  if (jobs.length === 0) return 'no jobs';
  const withCost = jobs.some((j) => costUsdOf(j) !== null);
  const header = ['JOB ID', 'TYPE', 'STATUS', 'PRIORITY', 'AGE', 'DURATION', 'ATTEMPT', ...(withCost ? ['COST'] : [])];
  const rows = jobs.map((job) => {
    const ran = runTimeMs(job, now);
    const cost = costUsdOf(job);
    return [
      job.job_id,
      job.job_type,
      job.status,
      job.priority,
      formatDuration(now.getTime() - Date.parse(job.created_at)),
      ran === null ? '-' : formatDuration(ran),
      `${job.attempt}/${job.max_attempts}`,
      ...(withCost ? [cost === null ? '-' : formatUsd(cost)] : []),
    ];
  });
  return formatTable(header, rows);
}

/** `agent-runner get`: the job's fields, its attempts, its error and its result. */
export function formatJobDetail(job: JobView, now: Date): string {
  const ran = runTimeMs(job, now);
  const cost = costUsdOf(job);
  const fields: [string, string][] = [
    ['job', job.job_id],
    ['type', job.job_type],
    ['status', job.status],
    ['priority', job.priority],
    ['tenant', job.tenant],
    ...(job.ordering_key ? [['ordering key', job.ordering_key] as [string, string]] : []),
    ['created', `${job.created_at} (${formatDuration(now.getTime() - Date.parse(job.created_at))} ago)`],
    ['started', job.started_at ?? '-'],
    ['finished', job.finished_at ?? '-'],
    ['duration', ran === null ? '-' : formatDuration(ran)],
    ['attempt', `${job.attempt} of ${job.max_attempts} (timeout ${job.timeout_seconds}s each)`],
    ...(cost !== null ? [['cost', formatUsd(cost)] as [string, string]] : []),
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const out = fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`);
  if (job.attempts.length > 0) {
    out.push('', 'attempts:');
    const rows = job.attempts.map((a) => [
      String(a.number),
      a.outcome ?? 'in progress',
      a.worker_ref ?? '-',
      a.started_at && a.ended_at ? formatDuration(Date.parse(a.ended_at) - Date.parse(a.started_at)) : '-',
      a.error ? `${a.error.kind}: ${a.error.message}` : '',
    ]);
    out.push(indent(formatTable(['#', 'OUTCOME', 'WORKER', 'RAN', 'ERROR'], rows)));
  }
  if (job.error) out.push('', `error: ${job.error.kind}${job.error.handler ? ` in ${job.error.handler}` : ''}: ${job.error.message}`);
  if (job.result !== undefined) out.push('', 'result:', indent(JSON.stringify(job.result, null, 2)));
  return out.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
