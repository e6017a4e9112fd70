import type { Model } from '@anthropic-ai/sdk/resources/messages';
import { roundUsd } from '../domain/job-usage.ts';

/** The model ids the SDK names in its `Model` union (without its open-ended `string & {}` member). */
export type KnownModel = LiteralMembers<Model>;
type LiteralMembers<T> = T extends unknown ? (string extends T ? never : T) : never;

/** USD per million tokens. */
export interface TokenRates {
  input: number;
  output: number;
  /** Writing the prompt cache with the default 5-minute lifetime. */
  cacheWrite: number;
  /** Reading (and refreshing) the prompt cache. */
  cacheRead: number;
}

export interface ModelPrice extends TokenRates {
  /**
   * Rates for a request whose prompt (input + cache writes + cache reads) is longer than
   * `aboveTokens`: every token of that request, output included, is billed at these.
   */
  longPrompt?: TokenRates & { aboveTokens: number };
}

export type PriceList = Readonly<Record<string, ModelPrice>>;

/** Token counts of one call, or of several added up. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

const rates = (input: number, output: number, cacheWrite: number, cacheRead: number): TokenRates => ({
  input,
  output,
  cacheWrite,
  cacheRead,
});

/**
 * List prices of the Claude API (platform.claude.com model pages and pricing page, checked
 * 2026-11-24), for the models the SDK knows; `satisfies` makes a mistyped id a compile error.
 * Opus 5.5 and Sonnet 5.5 read the cache at 0.05x input, not the usual 0.1x (Sonnet 5.5's cache
 * read was cut from $0.20 to $0.10 on 2026-10-07). Haiku 5.5 bills a whole request at 5x when its
 * prompt is over 100,000 tokens. Models whose cache prices we could not confirm (Fable/Mythos 5.2,
 * Mythos Preview) are left out: add them with AGENT_RUNNER_MODEL_PRICES. Prices change; the
 * variable overrides any entry here.
 */
export const DEFAULT_MODEL_PRICES = {
  'claude-fable-5-1': rates(10, 50, 12.5, 0.25),
  'claude-mythos-5-1': rates(10, 50, 12.5, 0.25),
  'claude-fable-5': rates(10, 50, 12.5, 1),
  'claude-mythos-5': rates(10, 50, 12.5, 1),
  'claude-opus-5-5': rates(4, 20, 5, 0.2),
  'claude-opus-5': rates(5, 25, 6.25, 0.5),
  'claude-opus-4-8': rates(5, 25, 6.25, 0.5),
  'claude-opus-4-7': rates(5, 25, 6.25, 0.5),
  'claude-opus-4-6': rates(5, 25, 6.25, 0.5),
  'claude-opus-4-5': rates(5, 25, 6.25, 0.5),
  'claude-opus-4-5-20251101': rates(5, 25, 6.25, 0.5),
  'claude-sonnet-5-5': rates(2, 10, 2.5, 0.1),
  'claude-sonnet-5': rates(2, 10, 2.5, 0.2),
  'claude-sonnet-4-6': rates(3, 15, 3.75, 0.3),
  'claude-sonnet-4-5': rates(3, 15, 3.75, 0.3),
  'claude-sonnet-4-5-20250929': rates(3, 15, 3.75, 0.3),
  'claude-haiku-5-5': { ...rates(0.1, 0.5, 0.125, 0.01), longPrompt: { aboveTokens: 100_000, ...rates(0.5, 2.5, 0.625, 0.05) } },
  'claude-haiku-4-5': rates(1, 5, 1.25, 0.1),
  'claude-haiku-4-5-20251001': rates(1, 5, 1.25, 0.1),
} as const satisfies Partial<Record<KnownModel, ModelPrice>>;

/** The model a job uses when its payload names none: the current Sonnet. */
export const DEFAULT_MODEL: KnownModel & keyof typeof DEFAULT_MODEL_PRICES = 'claude-sonnet-5-5';

export { roundUsd };

/** What `usage` costs at `price`, in USD. */
export function costAtPrice(price: ModelPrice, usage: TokenUsage): number {
  const prompt = usage.inputTokens + usage.cacheWriteTokens + usage.cacheReadTokens;
  const r = price.longPrompt && prompt > price.longPrompt.aboveTokens ? price.longPrompt : price;
  const micro =
    usage.inputTokens * r.input +
    usage.outputTokens * r.output +
    usage.cacheWriteTokens * r.cacheWrite +
    usage.cacheReadTokens * r.cacheRead;
  return roundUsd(micro / 1_000_000);
}

/**
 * The price of `model`: its own entry, else the entry of the alias its dated snapshot id extends
 * (`claude-haiku-4-5-20251001` → `claude-haiku-4-5`), else null.
 */
export function priceOf(model: string, prices: PriceList = DEFAULT_MODEL_PRICES): ModelPrice | null {
  const own = prices[model];
  if (own) return own;
  const alias = /^(.*)-\d{8}$/.exec(model)?.[1];
  return (alias !== undefined ? prices[alias] : undefined) ?? null;
}

/** What `usage` of `model` costs in USD. Throws for a model with no price: configure it first. */
export function costUsd(model: string, usage: TokenUsage, prices: PriceList = DEFAULT_MODEL_PRICES): number {
  const price = priceOf(model, prices);
  if (!price) throw new Error(`no price is configured for model "${model}" (AGENT_RUNNER_MODEL_PRICES)`);
  return costAtPrice(price, usage);
}

/**
 * Parses AGENT_RUNNER_MODEL_PRICES: `model=input/output/cacheWrite/cacheRead` entries (USD per
 * million tokens) separated by `;`, e.g. `claude-sonnet-5-5=2/10/2.5/0.1;my-model=1/5/1.25/0.1`.
 */
export function parseModelPrices(text: string): { prices: Record<string, ModelPrice>; problems: string[] } {
  const prices: Record<string, ModelPrice> = {};
  const problems: string[] = [];
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e.length > 0)) {
    const match = /^([A-Za-z0-9._:@/-]+)\s*=\s*(.+)$/.exec(entry);
    const numbers = match?.[2]?.split('/').map((n) => n.trim()) ?? [];
    const values = numbers.map((n) => (/^\d+(\.\d+)?$/.test(n) ? Number(n) : Number.NaN));
    if (!match?.[1] || values.length !== 4 || values.some((v) => !Number.isFinite(v))) {
      problems.push(`expected model=input/output/cacheWrite/cacheRead (USD per million tokens), got "${entry}"`);
      continue;
    }
    const [input, output, cacheWrite, cacheRead] = values as [number, number, number, number];
    prices[match[1]] = rates(input, output, cacheWrite, cacheRead);
  }
  return { prices, problems };
}
