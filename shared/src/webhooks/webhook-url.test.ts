import assert from 'node:assert/strict';
import { test } from 'vitest';
import { webhookUrlProblem } from './webhook-url.ts';

const strict = { allowHttp: false };

test('an https URL with a path, query and port is accepted', () => {
  assert.equal(webhookUrlProblem('https://hooks.example.com:8443/agent-runner?team=7', strict), null);
});

test('http is refused unless allowed, other schemes always', () => {
  assert.match(webhookUrlProblem('http://hooks.example.com/', strict) ?? '', /https: URL .*AGENT_RUNNER_WEBHOOK_ALLOW_HTTP/);
  assert.equal(webhookUrlProblem('http://hooks.example.com/', { allowHttp: true }), null);
  for (const url of ['ftp://hooks.example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/plain,hi'])
    assert.notEqual(webhookUrlProblem(url, { allowHttp: true }), null, url);
});

test('credentials, fragments, relative and oversized URLs are refused', () => {
  assert.match(webhookUrlProblem('https://user:pw@hooks.example.com/', strict) ?? '', /user name or password/);
  assert.match(webhookUrlProblem('https://user@hooks.example.com/', strict) ?? '', /user name or password/);
  assert.match(webhookUrlProblem('https://hooks.example.com/#x', strict) ?? '', /fragment/);
  assert.match(webhookUrlProblem('/relative/path', strict) ?? '', /absolute URL/);
  assert.match(webhookUrlProblem(`https://hooks.example.com/${'a'.repeat(2048)}`, strict) ?? '', /at most 2048/);
});
