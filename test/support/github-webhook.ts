// Sends GitHub webhook deliveries to the Argo Events pipeline of a plane (hack/plane up --events)
// as GitHub sends them: a JSON body, X-GitHub-Event, X-GitHub-Delivery (a GUID that GitHub keeps
// across redeliveries) and X-Hub-Signature-256, the HMAC-SHA256 of the body under the webhook
// secret.
import { createHmac, randomUUID } from 'node:crypto';

export interface WebhookTarget {
  /** The EventSource's pull-request endpoint (GITHUB_WEBHOOK_URL of the plane's env). */
  url: string;
  /** The secret the webhook is signed with (GITHUB_WEBHOOK_SECRET). */
  secret: string;
}

export interface DeliveryOptions {
  /** X-GitHub-Delivery; a new GUID when absent. */
  deliveryId?: string;
  /** X-Hub-Signature-256 as sent; by default computed from the body, `null` leaves it out. */
  signature?: string | null;
  /** Bounds the whole exchange. */
  timeoutMs?: number;
}

export interface DeliveryAnswer {
  deliveryId: string;
  /** The HTTP status, or 0 when no answer came (refused, reset, timed out). */
  status: number;
  body: string;
  /** Date.now() when the delivery was sent. */
  sentAt: number;
  /** Date.now() when the answer (or the failure) arrived. */
  answeredAt: number;
  /** A 2xx answer: what GitHub records as a successful delivery. */
  ok: boolean;
}

/** X-Hub-Signature-256 of `body` under `secret`. */
export function signature256(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** One delivery; never throws: a failed delivery is an answer with `ok: false`. */
export async function deliver(
  target: WebhookTarget,
  event: string,
  payload: unknown,
  { deliveryId = randomUUID(), signature, timeoutMs = 30_000 }: DeliveryOptions = {},
): Promise<DeliveryAnswer> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/workflow-resume-operator-tests',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'x-github-hook-id': '1',
  };
  const signed = signature === undefined ? signature256(target.secret, body) : signature;
  if (signed !== null) headers['x-hub-signature-256'] = signed;
  const sentAt = Date.now();
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      deliveryId,
      status: response.status,
      body: text,
      sentAt,
      answeredAt: Date.now(),
      ok: response.ok,
    };
  } catch (error) {
    return { deliveryId, status: 0, body: String(error), sentAt, answeredAt: Date.now(), ok: false };
  }
}
