import assert from 'node:assert/strict';
import { test } from 'vitest';
import { mintApiKey } from '@agent-runner/shared/auth/api-key-format.ts';
import { readStreamToken, signStreamToken, streamTokenIsValid } from './stream-token.ts';

const JOB = '01M8WH4ETXFHPDPG4TSTQYSQWN';
const OTHER_JOB = '01M8WH4ETXFHPDPG4TSTQYSQWP';

test('a token is valid for its key and job until it expires, and for nothing else', () => {
  const key = mintApiKey();
  const other = mintApiKey();
  const token = signStreamToken(key, JOB, 1_000);
  assert.deepEqual(readStreamToken(token), { keyId: key.keyId, jobId: JOB, expiresAtSeconds: 1_000, token });
  assert.ok(streamTokenIsValid(token, key, JOB, 999));
  assert.ok(!streamTokenIsValid(token, key, JOB, 1_000), 'expired at its expiry');
  assert.ok(!streamTokenIsValid(token, key, OTHER_JOB, 999), 'another job');
  assert.ok(
    !streamTokenIsValid(token, { keyId: key.keyId, hash: other.hash }, JOB, 999),
    'a key with the same id but another hash (a re-created key)',
  );
  assert.ok(!streamTokenIsValid(token.replace('.1000.', '.9999.'), key, JOB, 999), 'a lengthened expiry breaks the signature');
  assert.ok(!token.includes(key.key.slice(-32)) && !token.includes(key.hash), 'the token carries neither the key nor its hash');
});

test('malformed tokens are not read', () => {
  for (const bad of ['', 'x', `${mintApiKey().keyId}.${JOB}.1`, 'a.b.c.d']) assert.equal(readStreamToken(bad), null, bad);
});

test("a pipeline's token opens that pipeline's stream only: never a job's with the same id, nor the reverse", () => {
  const key = mintApiKey();
  const forPipeline = signStreamToken(key, JOB, 1_000, 'pipeline');
  const forJob = signStreamToken(key, JOB, 1_000);
  assert.notEqual(forPipeline, forJob);
  assert.ok(streamTokenIsValid(forPipeline, key, JOB, 999, 'pipeline'));
  assert.ok(!streamTokenIsValid(forPipeline, key, JOB, 999), 'not as a job token');
  assert.ok(!streamTokenIsValid(forJob, key, JOB, 999, 'pipeline'), "a job's token is not a pipeline's");
  assert.ok(!streamTokenIsValid(forPipeline, key, OTHER_JOB, 999, 'pipeline'), 'another pipeline');
});
