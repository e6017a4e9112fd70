import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { JobEventLog, NewJobEvent } from '@agent-runner/shared/ports/job-events.ts';
import { backendsUnderTest, openBackend, type OpenedBackend } from '../support/backends.ts';

const event = (type: string, data: NewJobEvent['data'], attempt = 1): NewJobEvent => ({
  at: new Date().toISOString(),
  attempt,
  type,
  data,
});

for (const target of backendsUnderTest()) {
  describe(`JobEventLog contract (${target.name})`, () => {
    let opened: OpenedBackend;
    let log: JobEventLog;
    beforeAll(async () => {
      opened = await openBackend(target);
      log = opened.backend.events;
    });
    afterAll(() => opened?.close());

    test('events read back in order with their sequence numbers, from any point', async () => {
      const job = `job-${randomUUID()}`;
      assert.equal(await log.lastSeq(job), 0);
      await log.append(job, 1, [event('text_delta', { text: 'Hel' }), event('text_delta', { text: 'lo' })]);
      await log.append(job, 3, [
        event('tool_call', { name: 'calculator', input: { expression: '2+2' } }),
        event('attempt_succeeded', { attempt: 1 }, 1),
      ]);
      const all = await log.read(job, 0, 100);
      assert.deepEqual(
        all.map((e) => [e.seq, e.type]),
        [
          [1, 'text_delta'],
          [2, 'text_delta'],
          [3, 'tool_call'],
          [4, 'attempt_succeeded'],
        ],
      );
      assert.deepEqual(all[2]?.data, { name: 'calculator', input: { expression: '2+2' } });
      assert.deepEqual(
        (await log.read(job, 2, 100)).map((e) => e.seq),
        [3, 4],
      );
      assert.deepEqual(
        (await log.read(job, 0, 2)).map((e) => e.seq),
        [1, 2],
      );
      assert.equal(await log.lastSeq(job), 4);
    });

    test("jobs' logs are separate", async () => {
      const a = `job-${randomUUID()}`;
      const b = `job-${randomUUID()}`;
      await log.append(a, 1, [event('x', 1)]);
      await log.append(b, 1, [event('y', 2), event('z', 3)]);
      assert.deepEqual(
        (await log.read(a, 0, 10)).map((e) => e.type),
        ['x'],
      );
      assert.equal(await log.lastSeq(b), 2);
    });

    test('a second writer of the same sequence number fails instead of overwriting', async () => {
      const job = `job-${randomUUID()}`;
      await log.append(job, 1, [event('first', 'kept')]);
      await assert.rejects(log.append(job, 1, [event('second', 'lost')]));
      assert.deepEqual(
        (await log.read(job, 0, 10)).map((e) => e.data),
        ['kept'],
      );
    });

    test('a large batch (more than one write request) stays in order', async () => {
      const job = `job-${randomUUID()}`;
      await log.append(
        job,
        1,
        Array.from({ length: 230 }, (_, i) => event('n', i)),
      );
      const read = await log.read(job, 0, 1000);
      assert.equal(read.length, 230);
      assert.deepEqual(
        read.map((e) => e.data),
        Array.from({ length: 230 }, (_, i) => i),
      );
    });
  });
}
