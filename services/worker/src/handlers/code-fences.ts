/** A fenced block: an opening ``` or ~~~ line (with an optional info string), its body, the closing fence. */
const FENCED_BLOCK = /^(?<fence>`{3,}|~{3,})[^\n`]*\n(?<body>[\s\S]*?)\n?^\k<fence>[ \t]*$/gm;

/**
 * The code in a model's reply. Models asked for "only the code" still often wrap it in a Markdown
 * fence, or add a sentence around a fenced block: then the fenced code is the answer (the longest
 * block when there are several, which is the program rather than a usage example). A reply without
 * a fence is the code itself. An opening fence that never closes (the reply hit max_tokens) is dropped.
 */
export function stripCodeFences(reply: string): string {
  const blocks = [...reply.matchAll(FENCED_BLOCK)].map((m) => m.groups?.body ?? '');
  if (blocks.length > 0) return blocks.reduce((longest, b) => (b.length > longest.length ? b : longest));
  const unclosed = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*)$/.exec(reply);
  if (unclosed) return unclosed[2] ?? '';
  return reply.trim();
}
