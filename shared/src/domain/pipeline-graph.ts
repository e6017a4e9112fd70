import type { JsonObject, JsonValue } from './json.ts';

/**
 * The pure parts of a pipeline's shape: is it a DAG, which values does a step take from which
 * step, and what are they once those steps have results. No I/O.
 */

export interface GraphProblem {
  path: string;
  message: string;
}

/** Step names: short, and safe in a URL, a log line and a JSON Pointer. */
export const STEP_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What is wrong with the steps' names and needs: a duplicate name, a need that names no step (or
 * the step itself), a cycle (named by its steps, in order). Empty when they form a DAG.
 */
export function graphProblems(steps: readonly { name: string; needs: readonly string[] }[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const index = new Map<string, number>();
  steps.forEach((step, i) => {
    if (index.has(step.name)) problems.push({ path: `steps[${i}].name`, message: `duplicate step name "${step.name}"` });
    else index.set(step.name, i);
  });
  steps.forEach((step, i) => {
    step.needs.forEach((need, j) => {
      if (need === step.name) problems.push({ path: `steps[${i}].needs[${j}]`, message: `step "${step.name}" needs itself` });
      else if (!index.has(need)) problems.push({ path: `steps[${i}].needs[${j}]`, message: `unknown step "${need}"` });
    });
  });
  if (problems.length > 0) return problems;
  const cycle = findCycle(steps);
  if (cycle) problems.push({ path: 'steps', message: `the needs form a cycle: ${[...cycle, cycle[0]].join(' -> ')}` });
  return problems;
}

/** One cycle's step names (each needs the next), or null: a depth-first search for a back edge. */
function findCycle(steps: readonly { name: string; needs: readonly string[] }[]): string[] | null {
  const needs = new Map(steps.map((s) => [s.name, s.needs]));
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (name: string): string[] | null => {
    const seen = state.get(name);
    if (seen === 'done') return null;
    if (seen === 'open') return trail.slice(trail.indexOf(name));
    state.set(name, 'open');
    trail.push(name);
    for (const need of needs.get(name) ?? []) {
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(name, 'done');
    return null;
  };
  for (const step of steps) {
    const cycle = visit(step.name);
    if (cycle) return cycle;
  }
  return null;
}

/** `{"$from": "research", "pointer": "/synthesis"}` somewhere in a payload. */
export interface StepReference {
  /** Where in the payload, as keys and indexes. */
  at: (string | number)[];
  from: string;
  /** RFC 6901; "" is the whole result. */
  pointer: string;
}

/** An object with a `$from` key is a reference, and must be exactly `{$from, pointer?}`. */
function isReferenceShape(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, '$from');
}

/** Every reference in `payload`, and what is malformed about any of them. */
export function findReferences(payload: JsonValue): { references: StepReference[]; problems: GraphProblem[] } {
  const references: StepReference[] = [];
  const problems: GraphProblem[] = [];
  const walk = (value: JsonValue, at: (string | number)[]): void => {
    if (isReferenceShape(value)) {
      const { $from: from, pointer = '', ...rest }: { [key: string]: JsonValue } = value;
      const where = formatPath(at);
      if (typeof from !== 'string' || typeof pointer !== 'string' || Object.keys(rest).length > 0) {
        problems.push({ path: where, message: 'a reference is {"$from": "<step>", "pointer": "<JSON Pointer>"} and nothing else' });
      } else if (pointer !== '' && !pointer.startsWith('/')) {
        problems.push({ path: where, message: `"${pointer}" is not a JSON Pointer (RFC 6901): it must be empty or start with "/"` });
      } else {
        references.push({ at, from, pointer });
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...at, i]);
    } else if (value !== null && typeof value === 'object')
      for (const [key, item] of Object.entries(value as JsonObject)) walk(item, [...at, key]);
  };
  walk(payload, []);
  return { references, problems };
}

/** `payload.messages[0].content`: the form the API's field errors use. */
export function formatPath(at: readonly (string | number)[], prefix = 'payload'): string {
  let out = prefix;
  for (const part of at) out += typeof part === 'number' ? `[${part}]` : `.${part}`;
  return out;
}

/** RFC 6901: the value `pointer` names in `doc`, or `found: false`. */
export function evaluatePointer(doc: JsonValue, pointer: string): { found: true; value: JsonValue } | { found: false } {
  if (pointer === '') return { found: true, value: doc };
  let current: JsonValue = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= current.length) return { found: false };
      current = current[Number(token)]!;
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, token)) {
      current = current[token]!;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

/** What a needed step left: its status and, when it succeeded, its result. */
export interface NeededOutcome {
  status: string;
  result: JsonValue | null;
}

/**
 * The payload with every reference replaced by the value it names, or why that cannot be: the
 * step it names did not succeed, or its result has nothing at the pointer.
 */
export function resolveReferences(
  payload: JsonValue,
  outcomeOf: (step: string) => NeededOutcome | undefined,
): { ok: true; payload: JsonValue } | { ok: false; message: string } {
  const { references } = findReferences(payload);
  let resolved = payload;
  for (const ref of references) {
    const outcome = outcomeOf(ref.from);
    const where = formatPath(ref.at);
    if (outcome?.status !== 'SUCCEEDED') {
      return {
        ok: false,
        message: `${where} takes a value from step "${ref.from}", which ended ${outcome?.status ?? 'unknown'} with no result`,
      };
    }
    const value = evaluatePointer(outcome.result, ref.pointer);
    if (!value.found) {
      return { ok: false, message: `${where}: the result of step "${ref.from}" has no value at "${ref.pointer}"` };
    }
    resolved = replaceAt(resolved, ref.at, value.value);
  }
  return { ok: true, payload: resolved };
}

function replaceAt(doc: JsonValue, at: readonly (string | number)[], value: JsonValue): JsonValue {
  if (at.length === 0) return value;
  const [head, ...rest] = at;
  if (Array.isArray(doc)) return doc.map((item, i) => (i === head ? replaceAt(item, rest, value) : item));
  const object = doc as { [key: string]: JsonValue };
  return { ...object, [head as string]: replaceAt(object[head as string]!, rest, value) };
}

/** Whether a field error at `path` lies at or under one of these references (so it may vanish once resolved). */
export function isUnderReference(path: string, references: readonly StepReference[]): boolean {
  return references.some((ref) => {
    const at = formatPath(ref.at);
    return path === at || path.startsWith(`${at}.`) || path.startsWith(`${at}[`);
  });
}
