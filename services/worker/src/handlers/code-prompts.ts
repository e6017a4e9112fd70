/** What an expert in each language pays attention to; languages not listed get the general guidance. */
const EXPERTISE: Readonly<Record<string, string>> = {
  typescript: 'strict TypeScript (no `any`), ES modules, precise types and narrow unions, async/await',
  javascript: 'modern ECMAScript (ES modules, const/let, async/await), no implicit globals',
  python: 'idiomatic Python 3.12 (PEP 8, type hints, dataclasses, context managers, the standard library first)',
  go: 'idiomatic Go (gofmt layout, errors as values wrapped with %w, small interfaces, context.Context for cancellation)',
  rust: 'idiomatic, safe Rust (ownership over cloning, Result with `?`, no unwrap outside tests, clippy-clean)',
  java: 'modern Java 21 (records, sealed types, switch expressions, try-with-resources, immutable collections)',
  kotlin: 'idiomatic Kotlin (null safety, data classes, extension functions, coroutines for async work)',
  c: 'portable C17 (checked return values, bounded buffers, every allocation freed, no undefined behaviour)',
  cpp: 'modern C++20 (RAII, smart pointers, the standard library, const-correctness, no raw new/delete)',
  csharp: 'modern C# 12 (nullable reference types, records, async/await, LINQ where it reads better)',
  ruby: 'idiomatic Ruby 3 (small methods, Enumerable, frozen string literals, exceptions for errors)',
  php: 'modern PHP 8.3 (strict_types, typed properties, enums, readonly classes, PSR-12 layout)',
  swift: 'idiomatic Swift 5.10 (value types, optionals handled explicitly, async/await, protocol-oriented design)',
  sql: 'standard, portable SQL (explicit joins, parameter placeholders instead of literals, readable CTEs)',
  bash: 'robust Bash (set -euo pipefail, quoted expansions, functions, shellcheck-clean)',
};

const ALIASES: Readonly<Record<string, string>> = {
  ts: 'typescript',
  js: 'javascript',
  py: 'python',
  golang: 'go',
  'c++': 'cpp',
  'c#': 'csharp',
  cs: 'csharp',
  sh: 'bash',
  shell: 'bash',
  rb: 'ruby',
};

/** The language name a prompt and the result use: lower-cased, aliases resolved. */
export function canonicalLanguage(language: string): string {
  const lower = language.trim().toLowerCase();
  return ALIASES[lower] ?? lower;
}

/** The system prompt of a claude_code job: an expert in `language` who answers with code only. */
export function codeSystemPrompt(language: string): string {
  const name = canonicalLanguage(language);
  const expertise = EXPERTISE[name] ?? `idiomatic, production-quality ${name}`;
  return [
    `You are an expert ${name} engineer. You write ${expertise}.`,
    'Write complete, working code that meets the specification exactly; handle errors and edge cases;',
    'add brief comments only where the reason for something is not obvious.',
    `Reply with the code only, in a single \`\`\`${name} fenced block, with no explanation before or after it.`,
  ].join(' ');
}
