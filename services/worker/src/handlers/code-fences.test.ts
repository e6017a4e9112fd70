import assert from 'node:assert/strict';
import { test } from 'vitest';
import { stripCodeFences } from './code-fences.ts';

const TABLE: [name: string, reply: string, code: string][] = [
  ['no fence: the reply is the code', 'def f():\n    return 1\n', 'def f():\n    return 1'],
  ['one fenced block with a language', '```python\ndef f():\n    return 1\n```', 'def f():\n    return 1'],
  ['one fenced block without a language', '```\nx = 1\n```\n', 'x = 1'],
  ['prose around a fenced block', 'Here you go:\n\n```ts\nconst a = 1;\n```\n\nThis declares a.', 'const a = 1;'],
  [
    'the longest of several blocks',
    '```ts\nexport function add(a: number, b: number) {\n  return a + b;\n}\n```\nUsage:\n```ts\nadd(1, 2);\n```',
    'export function add(a: number, b: number) {\n  return a + b;\n}',
  ],
  ['a tilde fence', '~~~go\nfunc main() {}\n~~~', 'func main() {}'],
  ['a longer fence around code containing a fence', '````md\n```js\nx\n```\n````', '```js\nx\n```'],
  ['an unclosed fence (truncated reply)', '```rust\nfn main() {\n    println!("hi");', 'fn main() {\n    println!("hi");'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the reply's code is JavaScript with a template literal in it.
  ['backticks inside code are kept', '```js\nconst s = `a ${b}`;\n```', 'const s = `a ${b}`;'],
  ['blank lines inside the block are kept', '```py\na = 1\n\n\nb = 2\n```', 'a = 1\n\n\nb = 2'],
];

for (const [name, reply, code] of TABLE) {
  test(`fences: ${name}`, () => {
    assert.equal(stripCodeFences(reply), code);
  });
}
