import { ensurePythonTool } from './pinned-python-tool.ts';

/** Pinned like moto: each release adds rules and refreshes the resource specs it checks against. */
export const CFN_LINT_REQUIREMENT = 'cfn-lint==1.58.0';

/**
 * The `cfn-lint` command from a project-local venv with the pinned version, created on first use
 * (its own venv: its dependencies and moto's need not agree).
 */
export function ensureCfnLintInstalled(): string {
  return ensurePythonTool({ venv: '.venv-cfn-lint', requirement: CFN_LINT_REQUIREMENT, command: 'cfn-lint' });
}

// `node test/support/cfn-lint.ts --install`: only create the venv (.ci/run does it while `npm ci` runs).
if (import.meta.main && process.argv.includes('--install')) ensureCfnLintInstalled();
