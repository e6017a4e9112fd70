/**
 * What may import what, read from the sources (no module is loaded):
 *
 * - Nothing outside services/worker imports worker code. "Production code" is every non-test
 *   module of shared/src, services/api/src, services/dispatcher/src, bin and bench; tests (test/,
 *   and `*.test.ts` beside the code) may import the worker to test it. A module import is a static
 *   `import`/`export … from` (type-only ones too: they tie the importer to the worker's files all
 *   the same) or a dynamic `import('…')`. Two edges are allowed, each for a reason:
 *   bin/commands/worker.ts imports services/worker/src/main.ts (the CLI's `worker` subcommand is
 *   the worker's entry point, loaded only when that command runs), and bin/warm-compile-cache.ts
 *   imports every source module by computed path (it fills the compile cache at image build; it is
 *   one of two production modules allowed an import() whose target is not a string literal, so no
 *   other edge can hide that way; the other is services/worker/src/entry.ts, which imports the
 *   worker's own bundle or its main.ts).
 * - A path to a worker file that is not imported — the process launcher's
 *   `new URL('…/services/worker/src/entry.ts', import.meta.url)`, provision's task definition
 *   command — names a program another process runs, not a module loaded into this one: allowed.
 * - shared/src/domain imports only the domain and Node's builtins: no ports, adapters or packages.
 * - No import circles among the production modules, type-only imports included.
 * - Each workspace's package.json lists the packages its production code imports, and only those
 *   (the root package.json for bin/). A type-only import may be met by a devDependency, the
 *   package's or its `@types/` one.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Workspace package name → its source folder (each exports `./*` from `./src/*`). */
const WORKSPACES: Record<string, string> = {
  '@agent-runner/shared': 'shared',
  '@agent-runner/api': 'services/api',
  '@agent-runner/dispatcher': 'services/dispatcher',
  '@agent-runner/worker': 'services/worker',
};
const PRODUCTION_DIRS = ['shared/src', 'services/api/src', 'services/dispatcher/src', 'services/worker/src', 'bin', 'bench'];
const ALLOWED_WORKER_IMPORTS = new Set(['bin/commands/worker.ts -> services/worker/src/main.ts']);
const COMPUTED_IMPORT_ALLOWED = new Set(['bin/warm-compile-cache.ts', 'services/worker/src/entry.ts']);

interface ModuleImport {
  specifier: string;
  typeOnly: boolean;
}

/**
 * The module imports of a source file: `import … from 'x'`, `import type …`, `export … from 'x'`,
 * `import 'x'` and `import('x')`. Statements start a line (as every file here is formatted); a
 * specifier in a comment that looks like an import is counted too, which errs on the strict side.
 * `computed` counts import() calls whose argument is not a string literal.
 */
function importsOf(source: string): { imports: ModuleImport[]; computed: number } {
  const imports: ModuleImport[] = [];
  for (const m of source.matchAll(/^[ \t]*(import|export)(\s+type)?\b([^'"`;]*?)\bfrom\s*(['"])([^'"]+)\4/gm)) {
    const clause = m[3] ?? '';
    // `import { type A, type B } from` is type-only too when every name is marked.
    const names = /^\s*\{([^}]*)\}\s*$/
      .exec(clause)?.[1]
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const allTyped = names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type '));
    imports.push({ specifier: m[5]!, typeOnly: m[2] !== undefined || allTyped });
  }
  for (const m of source.matchAll(/^[ \t]*import\s*(['"])([^'"]+)\1/gm)) imports.push({ specifier: m[2]!, typeOnly: false });
  let computed = 0;
  for (const m of source.matchAll(/\bimport\s*\(\s*(?:(['"])([^'"]+)\1\s*\)|(?=[^'"\s]))/g)) {
    if (m[2] === undefined) computed++;
    else imports.push({ specifier: m[2], typeOnly: false });
  }
  return { imports, computed };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts') && !f.includes('node_modules'))
    .map((f) => join(dir, f));
}

/** A repository-relative path for a workspace or relative specifier; null for a package or a builtin. */
function resolveSpecifier(from: string, specifier: string): string | null {
  if (specifier.startsWith('.')) return relative(ROOT, resolve(ROOT, dirname(from), specifier));
  for (const [name, dir] of Object.entries(WORKSPACES)) {
    if (specifier.startsWith(`${name}/`)) return join(dir, 'src', specifier.slice(name.length + 1));
  }
  return null;
}

function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

const files = PRODUCTION_DIRS.flatMap(sourceFiles);
const parsed = new Map(files.map((file) => [file, importsOf(readFileSync(join(ROOT, file), 'utf8'))]));
const edges = new Map(
  files.map((file) => [
    file,
    parsed.get(file)!.imports.flatMap((i) => {
      const target = resolveSpecifier(file, i.specifier);
      return target === null ? [] : [target];
    }),
  ]),
);

describe('module boundaries', () => {
  test('the import reader finds static, type-only, re-exported, dynamic and computed imports', () => {
    const { imports, computed } = importsOf(
      [
        "import { a } from './a.ts';",
        "import type { B } from '@agent-runner/worker/b.ts';",
        'import {',
        '  type C,',
        '  type D,',
        "} from './c.ts';",
        "export { e } from './e.ts';",
        "import './side-effect.ts';",
        "const f = await import('./f.ts');",
        'const g = await import(name);',
        "const url = new URL('../worker/src/main.ts', import.meta.url);",
      ].join('\n'),
    );
    assert.deepEqual(imports, [
      { specifier: './a.ts', typeOnly: false },
      { specifier: '@agent-runner/worker/b.ts', typeOnly: true },
      { specifier: './c.ts', typeOnly: true },
      { specifier: './e.ts', typeOnly: false },
      { specifier: './side-effect.ts', typeOnly: false },
      { specifier: './f.ts', typeOnly: false },
    ]);
    assert.equal(computed, 1);
    // And on the real tree: the allowed edge is seen, so the rule below is not passing vacuously.
    assert.ok(edges.get('bin/commands/worker.ts')?.includes('services/worker/src/main.ts'));
  });

  test("nothing outside services/worker imports worker code (but the CLI's worker command its entry point)", () => {
    const offending = files
      .filter((file) => !file.startsWith('services/worker/'))
      .flatMap((file) =>
        edges
          .get(file)!
          .filter((target) => target.startsWith('services/worker/'))
          .map((target) => `${file} -> ${target}`),
      )
      .filter((edge) => !ALLOWED_WORKER_IMPORTS.has(edge));
    assert.deepEqual(offending, []);
  });

  test('no production module imports by a computed path (which this test could not follow)', () => {
    const computed = files.filter((file) => parsed.get(file)!.computed > 0 && !COMPUTED_IMPORT_ALLOWED.has(file));
    assert.deepEqual(computed, []);
  });

  test('the domain imports only the domain', () => {
    const outside = files
      .filter((file) => file.startsWith('shared/src/domain/'))
      .flatMap((file) =>
        parsed
          .get(file)!
          .imports.map((i) => resolveSpecifier(file, i.specifier) ?? i.specifier)
          .filter((target) => !target.startsWith('shared/src/domain/') && !target.startsWith('node:'))
          .map((target) => `${file} -> ${target}`),
      );
    assert.deepEqual(outside, []);
  });

  test('no import circles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of edges.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
        else if (!state.has(next) && edges.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    assert.deepEqual(cycles, []);
  });

  test("each workspace's package.json lists the packages its code imports, and no others", () => {
    const problems: string[] = [];
    const owners: [string, string[]][] = [
      ...Object.values(WORKSPACES).map((dir): [string, string[]] => [dir, [`${dir}/src`]]),
      ['.', ['bin']],
    ];
    for (const [dir, sourceDirs] of owners) {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const deps = new Set(Object.keys(pkg.dependencies ?? {}));
      const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}));
      const used = new Set<string>();
      for (const file of files.filter((f) => sourceDirs.some((d) => f.startsWith(`${d}/`)))) {
        for (const i of parsed.get(file)!.imports) {
          const name = packageOf(i.specifier);
          if (name === null) continue;
          used.add(name);
          // A type-only import is needed to type-check, not to run.
          const typesOnly = i.typeOnly && (devDeps.has(name) || devDeps.has(`@types/${name.replace(/^@(.*)\//, '$1__')}`));
          if (!deps.has(name) && !typesOnly)
            problems.push(
              `${file} imports ${name}, not in ${dir}/package.json ${i.typeOnly ? 'dependencies or devDependencies' : 'dependencies'}`,
            );
        }
      }
      for (const name of deps) if (!used.has(name)) problems.push(`${dir}/package.json depends on ${name}, which its code does not import`);
    }
    assert.deepEqual([...new Set(problems)], []);
  });
});
