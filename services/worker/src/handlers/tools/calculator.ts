import { z } from 'zod';
import { defineTool, ToolError } from './agent-tool.ts';
import { ArithmeticError, evaluateArithmetic, MAX_EXPRESSION_LENGTH } from './evaluate-arithmetic.ts';

/** Exact arithmetic for the model, which is unreliable at it: a parser, never `eval`. */
export const calculatorTool = defineTool({
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression and returns the number. Supports + - * / % ^ (power), parentheses, ' +
    'pi, e, and sqrt, cbrt, abs, round, floor, ceil, trunc, exp, ln, log (base 10), log2, sin, cos, tan, asin, acos, atan, pow, min, max. ' +
    'Use it for any calculation instead of computing in your head.',
  inputSchema: z.strictObject({
    expression: z.string().min(1).max(MAX_EXPRESSION_LENGTH).describe('e.g. "(1234.5 * 0.15) + sqrt(2)"'),
  }),
  async run({ expression }) {
    try {
      // 15 significant digits: what a double holds reliably, without the binary noise after it
      // (1234.5 * 0.15 is 185.17499999999998 in floating point; the model should see 185.175).
      return { expression, result: Number(evaluateArithmetic(expression).toPrecision(15)) };
    } catch (error) {
      if (error instanceof ArithmeticError) throw new ToolError(`cannot evaluate "${expression}": ${error.message}`);
      throw error;
    }
  },
});
