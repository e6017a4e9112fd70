import { createBackend } from '@agent-runner/shared/compose/create-backend.ts';
import { createProcessLogger } from '@agent-runner/shared/observability/logger.ts';
import { loadConfigOrReport, untilStopSignal } from '@agent-runner/shared/runtime/service-process.ts';
import { startApi } from '@agent-runner/api/main.ts';
import { startDispatcher } from '@agent-runner/dispatcher/main.ts';
import { startMetricsServer } from '@agent-runner/shared/observability/metrics-server.ts';

export const summary = 'run the whole system in one process: API + dispatcher (+ workers as child processes)';

export const usage = `usage: agent-runner start

Starts the API and the dispatcher in this process; the dispatcher launches one worker per job
(child processes on the embedded default, ECS tasks with AGENT_RUNNER_BACKEND=aws). Configuration
comes from the environment (see the README's configuration table). Stop with Ctrl-C.`;

export async function run(_argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfigOrReport(env, 'agent-runner start');
  if (!config) return 2;
  // One stream, one child per service: each line names exactly one service.
  const log = createProcessLogger(config.logLevel);
  const backend = await createBackend(config);
  const api = await startApi(config, backend, log.child({ service: 'api' }));
  const dispatcher = startDispatcher(config, backend, log.child({ service: 'dispatcher' }));
  const dispatcherMetrics = await startMetricsServer(dispatcher.metrics.registry, { host: config.host, port: config.dispatcherPort });

  const where = config.backend === 'embedded' ? `state in ${config.dataDir}/` : `AWS (${config.aws?.region ?? ''})`;
  process.stderr.write(
    [
      '',
      `agent-runner is up: API on ${api.url} · backend ${config.backend} (${where}) · workers via ${config.launcher}`,
      config.auth.mode === 'off'
        ? `Auth is off${config.auth.explicit ? ' (AGENT_RUNNER_AUTH=off)' : ' (embedded on loopback)'}: set AGENT_RUNNER_AUTH=required to require API keys.`
        : 'Auth is required: create a key with `agent-runner keys create --tenant T`, send it as Authorization: Bearer <key>.',
      '',
      'Submit a job:',
      `  curl -s -X POST ${api.url}/jobs -H 'content-type: application/json' \\`,
      `       -d '{"job_type":"echo","payload":{"message":"hi"}}'`,
      'Then follow it:',
      `  curl -s ${api.url}/jobs/<job_id>`,
      '',
      `Dashboard: ${api.url}/ · metrics: ${api.metricsUrl ?? api.url}/metrics and ${dispatcherMetrics.url}/metrics`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  await untilStopSignal();
  process.stderr.write('agent-runner: stopping ...\n');
  await api.close();
  await dispatcherMetrics.close();
  await dispatcher.stop();
  await backend.close();
  return 0;
}
