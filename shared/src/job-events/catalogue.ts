import type { JsonObject, JsonValue } from '../domain/json.ts';

/** Which call of a multi-call job an event belongs to: research's step and question, tool_agent's turn. */
export type CallTag = {
  step?: 'plan' | 'answer' | 'synthesis';
  question_index?: number;
  turn?: number;
};

/**
 * Every live event a worker writes to a job's event log, by type, with its data. The worker emits
 * only these (HandlerContext.emit takes JobEventOf), the API names them in its documentation and
 * the dashboard listens for each (EventSource hands a named event only to a listener for that name,
 * so a type missing from its list is silently dropped). snake_case: the data goes out as JSON.
 */
export type JobEventData = {
  /** A worker began the attempt. */
  attempt_started: { attempt: number };
  /** The attempt's result is stored; the job is about to be SUCCEEDED. */
  attempt_succeeded: { attempt: number };
  /** The attempt failed; the job is retried or ends by `kind`. */
  attempt_failed: { attempt: number; kind: string; message: string };
  /** The worker was told to stop mid-attempt (ECS StopTask, SIGTERM); the reaper judges the attempt. */
  attempt_stopped: { attempt: number };
  /** Text as the model writes it. */
  text_delta: CallTag & { text: string };
  /** A model call ended: its tokens, cost and the `anthropic-ratelimit-*` headers. */
  model_call: CallTag & {
    model: string;
    stop_reason: string | null;
    input_tokens: number;
    output_tokens: number;
    cache_write_tokens: number;
    cache_read_tokens: number;
    cost_usd: number;
    request_id: string | null;
    rate_limits: JsonObject | null;
  };
  /** A model call failed (after the SDK's retries). */
  model_call_failed: CallTag & { model: string; status: number | null; error: string; rate_limits: JsonObject | null };
  /** tool_agent: the model asked for a tool. */
  tool_call: { turn: number; id: string; name: string; input: JsonValue };
  /** tool_agent: what the tool answered (`is_error`: a failure reported to the model). */
  tool_result: { turn: number; id: string; name: string; is_error: boolean; output: JsonValue };
  /** research: a step (plan, each answer, synthesis) started or completed. */
  research_step: {
    step: 'plan' | 'answer' | 'synthesis';
    status: 'started' | 'completed';
    question_index?: number;
    question?: string;
    questions?: string[];
    answer?: string;
  };
  /** research, tool_agent: the next model call would overrun `max_cost_usd`, so the job stops. */
  budget_exceeded:
    | (CallTag & { spent_usd: number; max_cost_usd: number | null; next_call_minimum_usd?: number })
    /** The tenant's daily budget (AGENT_RUNNER_TENANT_BUDGET_USD_PER_DAY, `tenants set`) refused the next call. */
    | (CallTag & {
        scope: 'tenant_daily';
        tenant: string;
        spent_today_usd: number;
        budget_usd_per_day: number | null;
        next_call_minimum_usd: number;
      });
  /** tool_agent: the loop ended (`outcome` says why). */
  agent_stopped: { outcome: string | null; turns: number; cost_usd: number };
};

export type JobEventType = keyof JobEventData;

/** One event as the worker emits it: its type and that type's data. */
export type JobEventOf<T extends JobEventType = JobEventType> = { [K in T]: { type: K; data: JobEventData[K] } }[T];

/** Every event type, for those that need the names at run time (the dashboard's listeners, the API's docs). */
export const JOB_EVENT_TYPES = Object.keys({
  attempt_started: true,
  attempt_succeeded: true,
  attempt_failed: true,
  attempt_stopped: true,
  text_delta: true,
  model_call: true,
  model_call_failed: true,
  tool_call: true,
  tool_result: true,
  research_step: true,
  budget_exceeded: true,
  agent_stopped: true,
} satisfies { [T in JobEventType]: true }) as JobEventType[];
