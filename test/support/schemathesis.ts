import { ensurePythonTool } from './pinned-python-tool.ts';

/** Pinned like moto: what it generates and checks changes between versions. */
export const SCHEMATHESIS_REQUIREMENT = 'schemathesis==4.32.5';

/**
 * The `schemathesis` command from a project-local venv with the pinned version, created on first
 * use (its own venv: its dependencies and moto's need not agree).
 */
export function ensureSchemathesisInstalled(): string {
  return ensurePythonTool({ venv: '.venv-schemathesis', requirement: SCHEMATHESIS_REQUIREMENT, command: 'schemathesis' });
}

// `node test/support/schemathesis.ts --install`: only create the venv (.ci/run does it while `npm ci` runs).
if (import.meta.main && process.argv.includes('--install')) ensureSchemathesisInstalled();
