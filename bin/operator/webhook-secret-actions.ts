import type { WebhookSecretStore } from '@agent-runner/shared/ports/webhook-endpoints.ts';

/** `webhooks secret rotate`: the new secret, printed once; the previous one keeps signing for the overlap. */
export async function rotateWebhookSecret(secrets: WebhookSecretStore, tenant: string, overlapHours: number, json: boolean): Promise<void> {
  const secret = await secrets.rotate(tenant, new Date(), overlapHours * 3600);
  if (json) process.stdout.write(`${JSON.stringify({ tenant, secret, previous_signs_for_hours: overlapHours }, null, 2)}\n`);
  else {
    process.stdout.write(`${secret}\n`);
    process.stderr.write(
      `new signing secret for tenant ${tenant}: configure your receivers with it now; the previous secret keeps signing for ${overlapHours} h\n`,
    );
  }
}

/** `webhooks secret show`: the secrets that sign the tenant's deliveries now, newest first (the first is made on first use). */
export async function showWebhookSecrets(secrets: WebhookSecretStore, tenant: string, json: boolean): Promise<void> {
  const current = await secrets.signingSecrets(tenant, new Date());
  if (json) process.stdout.write(`${JSON.stringify({ tenant, secrets: current }, null, 2)}\n`);
  else {
    for (const secret of current) process.stdout.write(`${secret}\n`);
    process.stderr.write(
      `${current.length === 1 ? 'the secret that signs' : `the ${current.length} secrets that sign (newest first; during a rotation both do)`} tenant ${tenant}'s webhooks: keep them out of logs and tickets\n`,
    );
  }
}
