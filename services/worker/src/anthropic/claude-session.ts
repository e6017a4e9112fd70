import { APIError, type Anthropic } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming, MessageParam, Tool, Usage } from '@anthropic-ai/sdk/resources/messages';
import { costAtPrice, priceOf, type ModelPrice, type TokenUsage } from '@agent-runner/shared/anthropic/model-prices.ts';
import { UsageLedger, type UsageSummary } from '@agent-runner/shared/anthropic/usage-ledger.ts';
import type { JsonObject } from '@agent-runner/shared/domain/job.ts';
import type { CallTag } from '@agent-runner/shared/job-events/catalogue.ts';
import { minimumCallCostUsd, minimumTokensOf } from '../handlers/agent-budget.ts';
import type { HandlerContext } from '../handlers/job-handler.ts';
import { TenantBudgetExceededError } from '../tenant-daily-budget.ts';
import { toRunnerError } from './classify-anthropic-error.ts';
import { createAnthropicClient } from './create-client.ts';
import { chooseModel } from './model-choice.ts';
import { rateLimitsOf } from './rate-limit-headers.ts';

export interface ModelCall {
  system?: string;
  messages: MessageParam[];
  maxTokens: number;
  temperature?: number;
  tools?: Tool[];
  /** Added to this call's events (its text deltas too), e.g. `{ step: 'answer', question_index: 2 }`. */
  tag?: CallTag;
}

/**
 * One job's conversation with Claude: one client, one model, one usage ledger. Every call streams
 * (text deltas go out as `text_delta` events as they arrive), is bound to the job's abort signal,
 * is priced into the ledger and reported as a `model_call` event, and has its SDK errors turned
 * into RetryableError / FatalError.
 */
export class ClaudeSession {
  readonly model: string;
  readonly ledger = new UsageLedger();
  private readonly client: Anthropic;
  private readonly ctx: HandlerContext;
  private rateLimits: JsonObject | null = null;

  private constructor(client: Anthropic, model: string, ctx: HandlerContext) {
    this.client = client;
    this.model = model;
    this.ctx = ctx;
  }

  /** Checks the model (FatalError if not allowed) and builds the client (FatalError without a key). */
  static async open(ctx: HandlerContext, requestedModel: string | undefined): Promise<ClaudeSession> {
    const model = chooseModel(requestedModel, ctx.config);
    const client = await createAnthropicClient(ctx.config, ctx.secrets, ctx.log);
    return new ClaudeSession(client, model, ctx);
  }

  /** The session model's price (allowed models are always priced: loadConfig checks it). */
  get price(): ModelPrice {
    const price = priceOf(this.model, this.ctx.config.anthropic.prices);
    if (!price) throw new Error(`no price for allowed model ${this.model}`);
    return price;
  }

  /** The `anthropic-ratelimit-*` headers of the last response seen (success or error). */
  get lastRateLimits(): JsonObject | null {
    return this.rateLimits;
  }

  usage(): UsageSummary {
    return this.ledger.summary();
  }

  async call(request: ModelCall): Promise<Message> {
    const tag = request.tag ?? {};
    const params: MessageCreateParamsNonStreaming = {
      model: this.model,
      max_tokens: request.maxTokens,
      messages: request.messages,
      ...(request.system !== undefined ? { system: request.system } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.tools !== undefined && request.tools.length > 0 ? { tools: request.tools } : {}),
    };
    const release = await this.reserveUnderTenantBudget(params, tag);
    try {
      return await this.stream(params, tag);
    } finally {
      release();
    }
  }

  /**
   * Before each call: the tenant's daily budget must leave room for the least this call can cost
   * (its prompt at the input rate, estimated low from characters, and one output token).
   */
  private async reserveUnderTenantBudget(params: MessageCreateParamsNonStreaming, tag: JsonObject): Promise<() => void> {
    const budget = this.ctx.tenantBudget;
    if (!budget) return () => {};
    const promptChars =
      JSON.stringify(params.system ?? '').length + JSON.stringify(params.messages).length + JSON.stringify(params.tools ?? []).length;
    const minimumUsd = minimumCallCostUsd(this.price, minimumTokensOf(promptChars));
    const release = await budget.reserve(minimumUsd);
    if (release) return release;
    const standing = budget.standing();
    this.ctx.emit({ type: 'budget_exceeded', data: { ...tag, scope: 'tenant_daily', ...standing, next_call_minimum_usd: minimumUsd } });
    throw new TenantBudgetExceededError(
      `tenant "${standing.tenant}" has spent $${standing.spent_today_usd} of its $${standing.budget_usd_per_day} daily budget; the next model call would pass it`,
    );
  }

  private async stream(params: MessageCreateParamsNonStreaming, tag: JsonObject): Promise<Message> {
    const { ctx } = this;
    const stream = this.client.messages.stream(params, { signal: ctx.signal });
    stream.on('text', (text) => ctx.emit({ type: 'text_delta', data: { ...tag, text } }));
    try {
      const [{ response, request_id }, message] = await Promise.all([stream.withResponse(), stream.finalMessage()]);
      this.noteRateLimits(rateLimitsOf(response.headers));
      const usage = tokenUsageOf(message.usage);
      const costUsd = costAtPrice(this.priceOfResponse(message.model), usage);
      this.ledger.record(message.model, usage, costUsd);
      ctx.usage?.recordCall(message.model, usage, costUsd);
      ctx.emit({
        type: 'model_call',
        data: {
          ...tag,
          model: message.model,
          stop_reason: message.stop_reason,
          input_tokens: usage.inputTokens,
          output_tokens: usage.outputTokens,
          cache_write_tokens: usage.cacheWriteTokens,
          cache_read_tokens: usage.cacheReadTokens,
          cost_usd: costUsd,
          request_id: request_id ?? null,
          rate_limits: this.rateLimits,
        },
      });
      return message;
    } catch (error) {
      // An abort surfaces from the SDK as APIUserAbortError; the job's own reason says why.
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (error instanceof APIError && error.headers) this.noteRateLimits(rateLimitsOf(error.headers));
      const failure = toRunnerError(error);
      ctx.emit({
        type: 'model_call_failed',
        data: {
          ...tag,
          model: this.model,
          status: error instanceof APIError ? (error.status ?? null) : null,
          error: failure instanceof Error ? failure.message : String(failure),
          rate_limits: this.rateLimits,
        },
      });
      throw failure;
    }
  }

  /**
   * Keeps the latest rate-limit headers, here and on the attempt; a response without any changes
   * nothing. They are stamped `observed-at`: the dispatcher's Claude admission replays the buckets
   * forward from that moment.
   */
  private noteRateLimits(headers: JsonObject | null): void {
    if (headers === null) return;
    const limits = { ...headers, 'observed-at': new Date().toISOString() };
    this.rateLimits = limits;
    this.ctx.usage?.noteRateLimits(limits);
  }

  /**
   * A response may name a different model than requested (a dated snapshot of an alias, or a
   * fallback model that served the request); it is billed at that model's price when we know it.
   */
  private priceOfResponse(model: string): ModelPrice {
    return priceOf(model, this.ctx.config.anthropic.prices) ?? this.price;
  }
}

export function tokenUsageOf(usage: Usage): TokenUsage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
  };
}
