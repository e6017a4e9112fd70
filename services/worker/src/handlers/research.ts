import { RetryableError } from '@agent-runner/shared/domain/errors.ts';
import type { JobEventData } from '@agent-runner/shared/job-events/catalogue.ts';
import type { ModelCall } from '../anthropic/claude-session.ts';
import { openClaudeSession } from '../anthropic/open-claude-session.ts';
import { textOf } from '../anthropic/message-text.ts';
import { TenantBudgetExceededError } from '../tenant-daily-budget.ts';
import { CostBudget } from './agent-budget.ts';
import { defineHandler } from './job-handler.ts';
import { mapConcurrently } from './map-concurrently.ts';
import { MAX_QUESTIONS, MIN_QUESTIONS, researchJobType } from '@agent-runner/shared/job-types/research.ts';
import { parseResearchQuestions } from './research-plan.ts';

/** Thrown inside the run when the budget refuses a call; turned into a `budget_exceeded` result. */
class BudgetStop extends Error {}

const PLAN_TOKENS = 1024;
const ANSWER_TOKENS = 2048;
const SYNTHESIS_TOKENS = 4096;

const PLANNER = [
  'You are a research planner. Given a topic, list the key questions a careful researcher must answer',
  `to understand it: between ${MIN_QUESTIONS} and ${MAX_QUESTIONS} questions, each specific, self-contained and non-overlapping.`,
  'Reply with JSON only, exactly in this shape: {"questions": ["…", "…"]}',
].join(' ');
const ANALYST =
  'You are a research analyst. Answer the question thoroughly and accurately in a few paragraphs, stating what is well established and what is uncertain.';
const SYNTHESIZER =
  'You are a research lead. Synthesize the answers into one coherent report on the topic: an overview, the key findings, open questions and a short conclusion. Do not repeat the answers verbatim.';

/**
 * Researches a topic in three recorded steps: plan 3–5 key questions, answer them (in parallel,
 * at most `max_parallel` at once), synthesize the answers. Each step emits `research_step` events
 * and its text deltas carry the step (and question) they belong to.
 */
export const researchHandler = defineHandler({
  jobType: 'research',
  definition: researchJobType,
  async run(payload, ctx) {
    const claude = await openClaudeSession(ctx, payload.model);
    const step = (data: JobEventData['research_step']) => ctx.emit({ type: 'research_step', data });
    const budget = new CostBudget(payload.max_cost_usd, () => claude.ledger.totalCostUsd(), claude.price);
    /** One model call under the budget: refused (BudgetStop) when it would certainly overrun. */
    const call = async (request: ModelCall): Promise<string> => {
      const promptChars = (request.system ?? '').length + JSON.stringify(request.messages).length;
      const release = budget.reserve(promptChars);
      if (!release) {
        ctx.emit({
          type: 'budget_exceeded',
          data: { spent_usd: budget.spent(), max_cost_usd: payload.max_cost_usd ?? null, ...request.tag },
        });
        throw new BudgetStop();
      }
      try {
        return textOf(await claude.call(request));
      } catch (error) {
        // The tenant's daily budget ends the run as the job's own budget does (the session emitted why).
        if (error instanceof TenantBudgetExceededError) throw new BudgetStop();
        throw error;
      } finally {
        release();
      }
    };

    let questions: string[] = [];
    const answers: { question: string; answer: string }[] = [];
    let synthesis: string | null = null;
    let outcome: 'completed' | 'budget_exceeded' = 'completed';
    try {
      step({ step: 'plan', status: 'started' });
      questions = planOf(
        await call({
          system: PLANNER,
          messages: [{ role: 'user', content: `Topic: ${payload.topic}` }],
          maxTokens: PLAN_TOKENS,
          tag: { step: 'plan' },
        }),
      );
      step({ step: 'plan', status: 'completed', questions });

      const answered = await mapConcurrently(questions, payload.max_parallel, async (question, index) => {
        step({ step: 'answer', status: 'started', question_index: index, question });
        const answer = await call({
          system: ANALYST,
          messages: [{ role: 'user', content: `Research topic: ${payload.topic}\n\nQuestion: ${question}` }],
          maxTokens: ANSWER_TOKENS,
          tag: { step: 'answer', question_index: index },
        }).catch((error: unknown) => {
          if (error instanceof BudgetStop) return null; // the others may still fit; the synthesis will not run
          throw error;
        });
        if (answer !== null) {
          step({ step: 'answer', status: 'completed', question_index: index, question, answer });
          answers.push({ question, answer });
        }
        return answer;
      });
      // Answers in the plan's order, whichever finished first.
      answers.sort((a, b) => questions.indexOf(a.question) - questions.indexOf(b.question));
      if (answered.some((a) => a === null)) throw new BudgetStop();

      step({ step: 'synthesis', status: 'started' });
      const findings = answers.map((a, i) => `## Question ${i + 1}: ${a.question}\n\n${a.answer}`).join('\n\n');
      synthesis = await call({
        system: SYNTHESIZER,
        messages: [{ role: 'user', content: `Research topic: ${payload.topic}\n\n${findings}` }],
        maxTokens: SYNTHESIS_TOKENS,
        tag: { step: 'synthesis' },
      });
      step({ step: 'synthesis', status: 'completed' });
    } catch (error) {
      if (!(error instanceof BudgetStop)) throw error;
      outcome = 'budget_exceeded';
    }

    return {
      outcome,
      topic: payload.topic,
      plan: questions,
      answers,
      synthesis,
      model: claude.model,
      max_cost_usd: payload.max_cost_usd ?? null,
      usage: claude.usage(),
      cost_usd: claude.ledger.totalCostUsd(),
      rate_limits: claude.lastRateLimits,
    };
  },
});

/** The plan's questions, at most MAX_QUESTIONS; fewer than MIN_QUESTIONS is a failed plan worth retrying. */
function planOf(reply: string): string[] {
  const questions = parseResearchQuestions(reply);
  if (questions.length < MIN_QUESTIONS) {
    // The model's next answer may well be a usable plan: another attempt can succeed.
    throw new RetryableError(`the research plan had ${questions.length} usable questions; at least ${MIN_QUESTIONS} are needed`);
  }
  return questions.slice(0, MAX_QUESTIONS);
}
