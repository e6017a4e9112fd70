import assert from 'node:assert/strict';
import { test } from 'vitest';
import { logStreamConsoleUrl } from './log-stream-console-url.ts';

test("a stream's console URL encodes its names the way the console does ($25 for %)", () => {
  assert.equal(
    logStreamConsoleUrl({ group: '/ecs/agent-runner', stream: 'worker/worker/0123abcd', region: 'eu-west-1' }),
    'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fagent-runner/log-events/worker$252Fworker$252F0123abcd',
  );
});
