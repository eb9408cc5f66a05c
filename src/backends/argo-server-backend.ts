// Resumes through argo-server's REST API, which hydrates offloaded node status from its database
// (a plain Kubernetes write cannot). The node is first read back through argo-server to check it
// is still an active suspend node, then set with a node field selector that matches only it, so
// a node that has moved on is never set twice. argo-server takes no preconditions, so the read
// through it must show the workflow the decision saw (same uid and resourceVersion); the marker
// follows as a merge patch through the Kubernetes API, carrying the uid, and so does a stop.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import {
  WORKFLOW_GROUP,
  WORKFLOW_PLURAL,
  WORKFLOW_VERSION,
  isActiveSuspendNode,
  type Workflow,
} from '../api/workflow.js';
import { Reason } from '../domain/reasons.js';
import { apiCall, mergePatch } from '../runtime/api-call.js';
import {
  changedSinceDecision,
  decidedOnOlderCopy,
  uidPrecondition,
  type ResumeBackend,
  type ResumeResult,
  type ResumeTarget,
} from './backend.js';
import { stopWorkflow } from './kubernetes-backend.js';

export interface ArgoServerOptions {
  url: string;
  tokenFile: string | undefined;
  insecureSkipVerify: boolean;
  kubernetes: k8s.CustomObjectsApi;
  timeoutMs?: number;
  /**
   * Most bytes an answer may have: a workflow read through argo-server carries its whole node
   * status, which whoever writes the workflow controls. A longer answer is cut off and fails.
   */
  maxResponseBytes?: number;
}

/** Without a bound given: far above a play workflow, far below what would hurt the process. */
const DEFAULT_MAX_RESPONSE_BYTES = 32 << 20;

/** An HTTP error from argo-server, shaped like client-node's so one classifier serves both. */
export class ArgoServerError extends Error {
  override readonly name = 'ArgoServerError';
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`argo-server answered HTTP ${code}`);
  }
}

/**
 * What an error answer to `PUT …/set` means. argo-server answers HTTP 500 both when no active
 * suspend node matched (the node moved on: decide again) and when an output parameter cannot be
 * set (retrying cannot help); only its message, from Argo's util.SetWorkflow, tells them apart.
 * Neither may count as a backend failure: a tenant's bad requests would open a breaker.
 */
export function classifySetAnswer(error: ArgoServerError): ResumeResult | undefined {
  let message: string;
  try {
    message = String((JSON.parse(error.body) as { message?: unknown }).message ?? '');
  } catch {
    return undefined;
  }
  if (message.includes('no suspend nodes matching')) return { outcome: 'stale' };
  if (
    message.includes('not expecting output parameter') ||
    message.includes('not expecting any raw parameters') ||
    message.includes('cannot set output parameter')
  ) {
    return {
      outcome: 'rejected',
      reason: Reason.UnexpectedParameter,
      message: `argo-server refused the resume parameters: ${message}; resumeParameters may only name the suspend node's supplied output parameters`,
    };
  }
  return undefined;
}

export class ArgoServerBackend implements ResumeBackend {
  readonly name = 'argo-server';

  constructor(private readonly options: ArgoServerOptions) {}

  async resume(target: ResumeTarget): Promise<ResumeResult> {
    const path = `/api/v1/workflows/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.workflowName)}`;
    const workflow = (await this.call('GET', path)) as Workflow;
    const changed = changedSinceDecision(workflow, target);
    if (changed !== undefined) return decidedOnOlderCopy(changed);
    const node = workflow.status?.nodes?.[target.nodeId];
    if (!node || !isActiveSuspendNode(node)) return { outcome: 'stale' };
    try {
      await this.call('PUT', `${path}/set`, {
        namespace: target.namespace,
        name: target.workflowName,
        nodeFieldSelector: `id=${target.nodeId}`,
        phase: 'Succeeded',
        message: target.message,
        outputParameters: JSON.stringify(target.parameters),
      });
    } catch (error) {
      const answer = error instanceof ArgoServerError ? classifySetAnswer(error) : undefined;
      if (answer) return answer;
      throw error;
    }
    await apiCall('patch', 'workflows', `${target.namespace}/${target.workflowName}`, () =>
      this.options.kubernetes.patchNamespacedCustomObject(
        {
          group: WORKFLOW_GROUP,
          version: WORKFLOW_VERSION,
          plural: WORKFLOW_PLURAL,
          namespace: target.namespace,
          name: target.workflowName,
          body: {
            metadata: {
              ...uidPrecondition(workflow.metadata.uid).metadata,
              annotations: { ...target.annotations, [target.markerKey]: target.markerValue },
            },
          },
        },
        mergePatch,
      ),
    );
    return { outcome: 'resumed' };
  }

  /**
   * argo-server answers with the node status it keeps in its database. The offload marker is
   * dropped from this copy because the copy is complete: decisions read its nodes.
   */
  async hydrate(namespace: string, workflowName: string): Promise<Workflow> {
    const path = `/api/v1/workflows/${encodeURIComponent(namespace)}/${encodeURIComponent(workflowName)}`;
    const workflow = (await this.call('GET', path)) as Workflow;
    if (workflow.status) delete workflow.status.offloadNodeStatusVersion;
    return workflow;
  }

  /** Stopping needs no node status, so it goes straight to the Kubernetes API, with the uid. */
  stop(namespace: string, workflowName: string, uid?: string): Promise<void> {
    return stopWorkflow(this.options.kubernetes, namespace, workflowName, uid);
  }

  private call(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.options.url);
    const token = this.options.tokenFile ? readFileSync(this.options.tokenFile, 'utf8').trim() : undefined;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers: {
            accept: 'application/json',
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          rejectUnauthorized: !this.options.insecureSkipVerify,
          timeout: this.options.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > limit) {
              req.destroy(new Error(`argo-server answered more than ${limit} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(new ArgoServerError(status, text));
            try {
              resolve(text ? JSON.parse(text) : {});
            } catch (error) {
              reject(error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('argo-server request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
