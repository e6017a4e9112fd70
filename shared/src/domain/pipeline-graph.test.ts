import assert from 'node:assert/strict';
import { test } from 'vitest';
import { evaluatePointer, findReferences, graphProblems, isUnderReference, resolveReferences } from './pipeline-graph.ts';

test('a DAG has no problems; duplicates, unknown needs, self-needs and cycles are named', () => {
  assert.deepEqual(
    graphProblems([
      { name: 'a', needs: [] },
      { name: 'b', needs: ['a'] },
      { name: 'c', needs: ['a', 'b'] },
    ]),
    [],
  );
  assert.deepEqual(
    graphProblems([
      { name: 'a', needs: [] },
      { name: 'a', needs: [] },
    ]),
    [{ path: 'steps[1].name', message: 'duplicate step name "a"' }],
  );
  assert.deepEqual(graphProblems([{ name: 'a', needs: ['nope'] }]), [{ path: 'steps[0].needs[0]', message: 'unknown step "nope"' }]);
  assert.deepEqual(graphProblems([{ name: 'a', needs: ['a'] }]), [{ path: 'steps[0].needs[0]', message: 'step "a" needs itself' }]);
  const cycle = graphProblems([
    { name: 'x', needs: [] },
    { name: 'a', needs: ['c'] },
    { name: 'b', needs: ['a', 'x'] },
    { name: 'c', needs: ['b'] },
  ]);
  assert.equal(cycle.length, 1);
  assert.equal(cycle[0]!.message, 'the needs form a cycle: a -> c -> b -> a');
});

test('references are found anywhere in a payload; malformed ones are problems', () => {
  const { references, problems } = findReferences({
    message: { $from: 'research', pointer: '/synthesis' },
    list: [1, { $from: 'b' }],
    bad: { $from: 'c', pointer: 'synthesis' },
    extra: { $from: 'c', pointer: '', other: 1 },
  });
  assert.deepEqual(
    references.map((r) => [r.at, r.from, r.pointer]),
    [
      [['message'], 'research', '/synthesis'],
      [['list', 1], 'b', ''],
    ],
  );
  assert.deepEqual(
    problems.map((p) => p.path),
    ['payload.bad', 'payload.extra'],
  );
  assert.equal(isUnderReference('payload.message', references), true);
  assert.equal(isUnderReference('payload.list[1].x', references), true);
  assert.equal(isUnderReference('payload.messages', references), false);
});

test('JSON Pointer (RFC 6901): escapes, array indexes, absence', () => {
  const doc = { 'a/b': { 'm~n': [10, 20] }, '': 'empty' };
  assert.deepEqual(evaluatePointer(doc, '/a~1b/m~0n/1'), { found: true, value: 20 });
  assert.deepEqual(evaluatePointer(doc, '/'), { found: true, value: 'empty' });
  assert.deepEqual(evaluatePointer(doc, ''), { found: true, value: doc });
  assert.deepEqual(evaluatePointer(doc, '/a~1b/m~0n/2'), { found: false });
  assert.deepEqual(evaluatePointer(doc, '/a~1b/m~0n/01'), { found: false });
  assert.deepEqual(evaluatePointer(doc, '/missing'), { found: false });
});

test('resolution replaces each reference, or says which value is missing and why', () => {
  const outcomes = new Map([
    ['r', { status: 'SUCCEEDED', result: { synthesis: 'tides', n: [1, 2] } }],
    ['f', { status: 'FAILED', result: null }],
  ]);
  const of = (name: string) => outcomes.get(name);
  assert.deepEqual(resolveReferences({ text: { $from: 'r', pointer: '/synthesis' }, k: [{ $from: 'r', pointer: '/n/1' }] }, of), {
    ok: true,
    payload: { text: 'tides', k: [2] },
  });
  assert.deepEqual(resolveReferences({ text: { $from: 'r', pointer: '/nothing' } }, of), {
    ok: false,
    message: 'payload.text: the result of step "r" has no value at "/nothing"',
  });
  assert.deepEqual(resolveReferences({ text: { $from: 'f', pointer: '/x' } }, of), {
    ok: false,
    message: 'payload.text takes a value from step "f", which ended FAILED with no result',
  });
});
