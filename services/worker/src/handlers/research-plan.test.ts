import assert from 'node:assert/strict';
import { test } from 'vitest';
import { parseResearchQuestions } from './research-plan.ts';

const Q = ['What is X?', 'Why does X matter?', 'How is X measured?'];

const TABLE: [name: string, reply: string, expected: string[]][] = [
  ['the asked-for object', JSON.stringify({ questions: Q }), Q],
  ['a bare array', JSON.stringify(Q), Q],
  ['objects with a question field', JSON.stringify({ questions: Q.map((question, i) => ({ id: i, question })) }), Q],
  ['JSON in a fence', `Here is the plan:\n\`\`\`json\n${JSON.stringify({ questions: Q }, null, 2)}\n\`\`\`\nGood luck.`, Q],
  ['JSON after a sentence', `Sure! ${JSON.stringify({ questions: Q })}`, Q],
  ['an array after a sentence', `The questions: ${JSON.stringify(Q)} — that is all.`, Q],
  ['another key name', JSON.stringify({ key_questions: Q }), Q],
  ['a numbered list', '1. What is X?\n2) Why does X matter?\n3. How is X measured?', Q],
  ['a bulleted list with bold', '- **What is X?**\n* Why does X matter?\n• How is X measured?', Q],
  ['duplicates and whitespace', JSON.stringify({ questions: ['  What is   X? ', 'what is x?', ...Q.slice(1), ''] }), Q],
  ['nothing usable', 'I cannot help with that.', []],
];

for (const [name, reply, expected] of TABLE) {
  test(`plan parsing: ${name}`, () => {
    assert.deepEqual(parseResearchQuestions(reply), expected);
  });
}
