/**
 * A second (third, …) process on one embedded data dir, for tests that prove the SQLite adapters
 * hold across processes — as they must: the API/dispatcher and every worker each open the file.
 *
 *   node test/support/embedded-actor.ts enqueue <dataDir> <jobId>        prints {"sentAt": ms} once committed
 *   node test/support/embedded-actor.ts consume <dataDir> <ms>           prints each acked job id, one a line
 *   node test/support/embedded-actor.ts update <dataDir> <jobId> <atMs>  at atMs races to claim; prints won|conflict
 */
import { createEmbeddedBackend } from '@agent-runner/shared/adapters/embedded/embedded-backend.ts';
import { loadConfig } from '@agent-runner/shared/config/config.ts';
import { ConflictError } from '@agent-runner/shared/domain/errors.ts';

const [action, dataDir, arg, arg2] = process.argv.slice(2);
if (!action || !dataDir || !arg) throw new Error('usage: embedded-actor.ts <action> <dataDir> <arg> [arg2]');
const backend = await createEmbeddedBackend(loadConfig({ AGENT_RUNNER_DATA_DIR: dataDir }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  if (action === 'enqueue') {
    await backend.queue.enqueue({ jobId: arg, priority: 'normal', orderingKey: null });
    process.stdout.write(`${JSON.stringify({ sentAt: Date.now() })}\n`);
  } else if (action === 'consume') {
    const feed = backend.createFeed({ visibilityTimeoutSeconds: 30, batchSize: 5, maxInFlight: 5 });
    feed.start(async ({ message }) => {
      await sleep(5);
      process.stdout.write(`${message.jobId}\n`);
      return { kind: 'ack' };
    });
    await sleep(Number(arg));
    await feed.stop();
  } else if (action === 'update') {
    await sleep(Math.max(0, Number(arg2) - Date.now()));
    try {
      await backend.jobs.update(
        arg,
        { status: ['QUEUED'], version: 1 },
        { status: 'DISPATCHED', attempt: 1, tenant: `pid-${process.pid}` },
        new Date(),
      );
      process.stdout.write('won\n');
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      process.stdout.write('conflict\n');
    }
  } else {
    throw new Error(`unknown action ${action}`);
  }
} finally {
  await backend.close();
}
