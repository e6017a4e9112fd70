/** What the worker learns about its own ECS task. */
export interface EcsTaskInfo {
  taskArn: string | null;
  /** When ECS began pulling the image: where Fargate's billing of the task starts. */
  pullStartedAt: Date | null;
}

/**
 * The ARN of the ECS task this worker runs in, from the task metadata endpoint ECS gives every
 * container (ECS_CONTAINER_METADATA_URI_V4, a link-local address), so every log line of the worker
 * can carry `task_arn`, and when the task's billing began (its image pull), so its compute cost can
 * be priced without an ECS API call. Nulls outside ECS, or when the endpoint does not answer within
 * `timeoutMs`: neither is worth delaying the job for.
 */
export async function ecsTaskInfo(env: Record<string, string | undefined>, timeoutMs = 1000): Promise<EcsTaskInfo> {
  const none = { taskArn: null, pullStartedAt: null };
  const base = env.ECS_CONTAINER_METADATA_URI_V4;
  if (!base) return none;
  try {
    const res = await fetch(`${base}/task`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return none;
    const body = (await res.json()) as { TaskARN?: unknown; PullStartedAt?: unknown };
    const pulled = typeof body.PullStartedAt === 'string' ? new Date(body.PullStartedAt) : null;
    return {
      taskArn: typeof body.TaskARN === 'string' ? body.TaskARN : null,
      pullStartedAt: pulled && !Number.isNaN(pulled.getTime()) ? pulled : null,
    };
  } catch {
    return none;
  }
}

export async function ecsTaskArn(env: Record<string, string | undefined>, timeoutMs = 1000): Promise<string | null> {
  return (await ecsTaskInfo(env, timeoutMs)).taskArn;
}
