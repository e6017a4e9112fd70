import type { AttemptLogStream } from '../domain/job.ts';

/**
 * The CloudWatch console page of one log stream. The console's fragment encodes each name twice
 * over: URI-encoded, then every `%` written as `$25` (so `/ecs/x` becomes `$252Fecs$252Fx`).
 */
export function logStreamConsoleUrl(log: AttemptLogStream): string {
  const encode = (name: string) => encodeURIComponent(encodeURIComponent(name)).replace(/%/g, '$');
  const region = encodeURIComponent(log.region);
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${encode(log.group)}/log-events/${encode(log.stream)}`;
}
