/**
 * The Claude admission row of `npm run bench`: BENCH_CLAUDE_JOBS (200) claude_chat jobs through the
 * whole embedded system (API, dispatcher, real workers, the real SDK) against the fake Messages API
 * enforcing 50 requests and 4,000 output tokens per window, with AGENT_RUNNER_CLAUDE_ADMISSION on
 * and off: what share of the model calls (first tries and the SDK's retries) it answered 429.
 *
 * The window is BENCH_CLAUDE_WINDOW_SECONDS (20), not a minute, so the row takes about two minutes
 * rather than six: the limits are the same per window, the refill three times as fast (2.5 calls/s,
 * still below what 16 workers ask for on this machine — when the machine is so loaded that workers
 * start slower than that, nothing meets a 429 either way, and the row says so). Each job asks
 * max_tokens 100 (the API reserves them when a call starts) and answers in 10.
 */
import { runClaudeUnderLimits, type ClaudeUnderLimitsResult } from '../test/support/claude-under-limits.ts';

const JOBS = Number(process.env.BENCH_CLAUDE_JOBS ?? 200);
const WINDOW_SECONDS = Number(process.env.BENCH_CLAUDE_WINDOW_SECONDS ?? 20);
const LIMITS = { requests: 50, inputTokens: 400_000, outputTokens: 4_000, windowMs: WINDOW_SECONDS * 1000 };

function row(admission: 'on' | 'off', r: ClaudeUnderLimitsResult) {
  return {
    run: `${JOBS} claude_chat, 50 req / 4k output tokens per ${WINDOW_SECONDS} s`,
    admission,
    'model calls': r.calls,
    '429s': r.rateLimited,
    '429 share': `${((100 * r.rateLimited) / Math.max(1, r.calls)).toFixed(1)} %`,
    succeeded: r.succeeded,
    seconds: Number(r.seconds.toFixed(1)),
  };
}

export async function benchClaudeAdmission(): Promise<void> {
  const rows = [];
  for (const admission of ['on', 'off'] as const) {
    const result = await runClaudeUnderLimits({
      backend: 'embedded',
      admission,
      jobs: JOBS,
      limits: LIMITS,
      maxTokens: 100,
      timeoutMs: 600_000,
    });
    rows.push(row(admission, result));
    console.log(JSON.stringify(rows.at(-1)));
  }
  console.log('\nClaude admission (embedded, fake Messages API enforcing rate limits): share of model calls answered 429.');
  console.table(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchClaudeAdmission();
  process.exit(0);
}
