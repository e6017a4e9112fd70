import type { WebhookEvent } from '../domain/webhook-target.ts';

/** A tenant's default webhook endpoint (`agent-runner webhooks add --tenant T URL`). */
export interface WebhookEndpoint {
  endpointId: string;
  tenant: string;
  url: string;
  events: readonly WebhookEvent[];
  createdAt: string;
  /** Set when a receiver answered 410 Gone (or an operator disabled it); nothing is sent to it after. */
  disabledAt: string | null;
  disabledReason: string | null;
}

/** Tenants' default endpoints. Every job a tenant submits also reports to its enabled endpoints. */
export interface WebhookEndpointStore {
  add(endpoint: WebhookEndpoint): Promise<void>;
  /** The tenant's endpoints, oldest first, disabled ones included. */
  list(tenant: string): Promise<WebhookEndpoint[]>;
  get(endpointId: string): Promise<WebhookEndpoint | null>;
  /** NotFoundError when the tenant has no such endpoint. */
  remove(tenant: string, endpointId: string): Promise<void>;
  /** Idempotent: a disabled endpoint stays disabled with its first reason. */
  disable(endpointId: string, reason: string, now: Date): Promise<void>;
}

/**
 * Per-tenant signing secrets (`whsec_` + base64 of 24–64 random bytes, as Standard Webhooks
 * defines them). During a rotation both the new and the previous secret sign every delivery.
 */
export interface WebhookSecretStore {
  /** The secrets that sign `tenant`'s deliveries now, newest first; creates the first when none exists. */
  signingSecrets(tenant: string, now: Date): Promise<string[]>;
  /**
   * Makes a new secret the newest; the previous one keeps signing for `overlapSeconds` (then only
   * the new one does). Returns the new secret: the only time it is shown.
   */
  rotate(tenant: string, now: Date, overlapSeconds: number): Promise<string>;
}
