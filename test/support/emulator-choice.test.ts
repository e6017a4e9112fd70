import assert from 'node:assert/strict';
import { test } from 'vitest';
import { chooseEmulator, requestedEmulator, type DockerProbe } from './emulator-choice.ts';

const reachable = async (): Promise<DockerProbe> => ({ reachable: true });
const absent = async (): Promise<DockerProbe> => ({
  reachable: false,
  why: 'no Docker daemon reachable (connect ENOENT /var/run/docker.sock)',
});

test('moto unless AGENT_RUNNER_TEST_EMULATOR names LocalStack; any other value is refused, naming the variable', () => {
  assert.equal(requestedEmulator(undefined), 'moto');
  assert.equal(requestedEmulator(''), 'moto');
  assert.equal(requestedEmulator('moto'), 'moto');
  assert.equal(requestedEmulator(' LocalStack '), 'localstack');
  assert.throws(() => requestedEmulator('localstak'), /AGENT_RUNNER_TEST_EMULATOR must be "moto" or "localstack", not "localstak"/);
});

test('moto by default, without asking for Docker', async () => {
  let asked = false;
  const choice = await chooseEmulator('moto', async () => {
    asked = true;
    return { reachable: true };
  });
  assert.deepEqual(choice, { emulator: 'moto' });
  assert.equal(asked, false, 'probing Docker costs time nobody asked for');
});

test('LocalStack when asked for and a Docker daemon answers', async () => {
  assert.deepEqual(await chooseEmulator('localstack', reachable), { emulator: 'localstack' });
});

test('LocalStack asked for without Docker: moto, and one line that says why', async () => {
  const choice = await chooseEmulator('localstack', absent);
  assert.equal(choice.emulator, 'moto');
  assert.ok(choice.note, 'the fallback is never silent');
  assert.doesNotMatch(choice.note, /\n/, 'one line');
  assert.match(
    choice.note,
    /AGENT_RUNNER_TEST_EMULATOR=localstack not used: no Docker daemon reachable \(connect ENOENT \/var\/run\/docker.sock\)/,
  );
});
