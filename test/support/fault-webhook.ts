// Fault injection through the API server itself: a validating admission webhook on workflow
// updates that, while failing, answers the operator's writes with HTTP 500. The real
// kube-apiserver then refuses the update with "500 Internal error: failed calling webhook",
// exactly what a client sees when the control plane is in trouble. Other users (the Argo
// controller) are always allowed, and only workflows labelled fault-injection=on are covered.
// Besides 500, the webhook can throttle (a denial carrying 429, which the API server passes on
// to the client with its code) or answer slowly (still within the webhook's timeout).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlOk } from './plane.js';

export const OPERATOR_USER = 'system:serviceaccount:workflow-resume-system:workflow-resume-operator';

/** What the operator's workflow updates meet: nothing, HTTP 500, HTTP 429, or a slow answer. */
export type Fault = 'none' | '5xx' | '429' | 'slow';

export interface FaultWebhook {
  /** true: refuse the operator's workflow updates with 500 (fault '5xx'); false: allow them. */
  failing: boolean;
  fault: Fault;
  /** How long a 'slow' answer takes; keep it under the webhook's timeout (5 s). */
  slowMs: number;
  /**
   * Operator updates refused (500), throttled (429), slowed and allowed (slowed ones included);
   * `seen` counts every review, anyone's.
   */
  readonly calls: { refused: number; throttled: number; slowed: number; allowed: number; seen: number };
  close(): Promise<void>;
}

function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wro-webhook-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const pair = {
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
  };
  rmSync(dir, { recursive: true, force: true });
  return pair;
}

/** Faults for `operatorUser`'s updates (the shipped ServiceAccount by default) of workflows in `namespace`. */
export async function startFaultWebhook(
  namespace: string,
  operatorUser = OPERATOR_USER,
): Promise<FaultWebhook> {
  const { cert, key } = selfSignedCertificate();
  const calls = { refused: 0, throttled: 0, slowed: 0, allowed: 0, seen: 0 };
  const state: { fault: Fault; slowMs: number } = { fault: 'none', slowMs: 2000 };
  const server: Server = createServer({ cert, key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        request: { uid: string; userInfo?: { username?: string } };
      };
      calls.seen += 1;
      const fromOperator = review.request.userInfo?.username === operatorUser;
      const fault = fromOperator ? state.fault : 'none';
      if (fault === '5xx') {
        calls.refused += 1;
        response.writeHead(500).end('injected fault');
        return;
      }
      const answer = (verdict: { allowed: boolean; status?: object }) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: review.request.uid, ...verdict },
          }),
        );
      if (fault === '429') {
        calls.throttled += 1;
        answer({
          allowed: false,
          status: { code: 429, reason: 'TooManyRequests', message: 'injected fault: too many requests' },
        });
        return;
      }
      if (fromOperator) calls.allowed += 1;
      if (fault === 'slow') {
        calls.slowed += 1;
        setTimeout(() => answer({ allowed: true }), state.slowMs);
        return;
      }
      answer({ allowed: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const name = `fault-${namespace}`;
  await kubectlOk(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: 'faults.resume.workflows.dev',
          clientConfig: {
            url: `https://127.0.0.1:${port}/validate`,
            caBundle: Buffer.from(cert).toString('base64'),
          },
          rules: [
            {
              apiGroups: ['argoproj.io'],
              apiVersions: ['v1alpha1'],
              operations: ['UPDATE'],
              resources: ['workflows'],
            },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
          objectSelector: { matchLabels: { 'fault-injection': 'on' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    }),
  );
  return {
    get failing() {
      return state.fault === '5xx';
    },
    set failing(value: boolean) {
      state.fault = value ? '5xx' : 'none';
    },
    get fault() {
      return state.fault;
    },
    set fault(value: Fault) {
      state.fault = value;
    },
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(value: number) {
      state.slowMs = value;
    },
    calls,
    async close() {
      await kubectlOk(['delete', 'validatingwebhookconfiguration', name, '--ignore-not-found']);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
