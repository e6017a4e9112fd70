import { z } from 'zod';
import { modelField, modelProblems } from './claude-payload-fields.ts';
import { defineJobType } from './job-type.ts';

/** How many key questions a research plan has (fewer is a failed plan; more are dropped). */
export const MIN_QUESTIONS = 3;
export const MAX_QUESTIONS = 5;

/** Plans key questions on a topic, answers them, and synthesizes a report. */
export const researchJobType = defineJobType({
  name: 'research',
  description: 'Plans 3–5 key questions on `topic`, answers each, and synthesizes a report.',
  allowsPooled: true,
  payloadSchema: z.strictObject({
    topic: z.string().min(1).max(10_000),
    model: modelField,
    /** How many questions are answered at once (each is one model call). */
    max_parallel: z.number().int().min(1).max(MAX_QUESTIONS).default(3),
    /** Stop before a model call that would certainly take the job's spending past this. */
    max_cost_usd: z.number().positive().max(10_000).optional(),
  }),
  checkPayload: (payload, config) => modelProblems(payload.model, config),
});
