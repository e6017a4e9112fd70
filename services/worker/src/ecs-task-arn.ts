/**
 * The ARN of the ECS task this worker runs in, from the task metadata endpoint ECS gives every
 * container (ECS_CONTAINER_METADATA_URI_V4, a link-local address), so every log line of the worker
 * can carry `task_arn`. Null outside ECS, or when the endpoint does not answer within `timeoutMs`:
 * a log field is not worth delaying the job for.
 */
export async function ecsTaskArn(env: Record<string, string | undefined>, timeoutMs = 1000): Promise<string | null> {
  const base = env.ECS_CONTAINER_METADATA_URI_V4;
  if (!base) return null;
  try {
    const res = await fetch(`${base}/task`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    const body = (await res.json()) as { TaskARN?: unknown };
    return typeof body.TaskARN === 'string' ? body.TaskARN : null;
  } catch {
    return null;
  }
}
