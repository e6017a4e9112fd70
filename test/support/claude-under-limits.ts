/**
 * N claude_chat jobs through the whole system (API, one dispatcher, real workers and the real SDK)
 * against the fake Messages API enforcing rate limits: how many of the model calls it answered 429,
 * with Claude admission on or off. Shared by test/e2e/claude-admission.test.ts and the bench.
 */
import { postJob, waitUntilTerminal } from './api-client.ts';
import { reply, startFakeAnthropic, type FakeRateLimits } from './fake-anthropic.ts';
import { startSystem, type BackendName } from './system.ts';

export interface ClaudeUnderLimitsRun {
  backend: BackendName;
  admission: 'on' | 'off';
  jobs: number;
  limits: FakeRateLimits;
  /** Each job's max_tokens (what the API reserves of the output limit when the call starts). */
  maxTokens: number;
  /** Output tokens each answer uses. */
  outputTokens?: number;
  timeoutMs: number;
  env?: Record<string, string>;
}

export interface ClaudeUnderLimitsResult {
  /** /v1/messages requests the fake received (first tries and the SDK's retries). */
  calls: number;
  rateLimited: number;
  succeeded: number;
  /** First job submitted → last job terminal. */
  seconds: number;
  /** When each call arrived at the fake (Date.now() ms), in order. */
  arrivalsMs: number[];
}

const API_KEY = 'sk-admission';

export async function runClaudeUnderLimits(run: ClaudeUnderLimitsRun): Promise<ClaudeUnderLimitsResult> {
  const fake = await startFakeAnthropic({ apiKey: API_KEY, limits: run.limits });
  fake.respondWith(() => reply.text('Queues decouple producers from consumers.', { usage: { output_tokens: run.outputTokens ?? 10 } }));
  const env = { AGENT_RUNNER_CLAUDE_ADMISSION: run.admission, AGENT_RUNNER_LOG_LEVEL: 'error', ...run.env };
  const system =
    run.backend === 'embedded'
      ? await startSystem(run.backend, { ...env, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: API_KEY })
      : await startSystem(run.backend, env, { workerEnv: { ANTHROPIC_BASE_URL: fake.url }, anthropicApiKey: API_KEY });
  try {
    system.startDispatcher();
    const start = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < run.jobs; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, run.jobs - i) }, (_, j) =>
          postJob(system.url, {
            job_type: 'claude_chat',
            payload: { prompt: `Why queue job ${i + j}? One sentence.`, max_tokens: run.maxTokens },
          }),
        ),
      );
      ids.push(...batch.map((b) => b.job_id));
    }
    const done = await waitUntilTerminal(system.url, ids, run.timeoutMs);
    const seconds = (Date.now() - start) / 1000;
    const calls = fake.requests.filter((r) => r.path === '/v1/messages');
    return {
      calls: calls.length,
      rateLimited: fake.rateLimited,
      succeeded: done.filter((j) => j.status === 'SUCCEEDED').length,
      seconds,
      arrivalsMs: calls.map((r) => r.receivedAtMs),
    };
  } finally {
    await system.stop();
    await fake.close();
  }
}
