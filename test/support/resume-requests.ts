// ResumeRequests on the plane, created and read as the plane's admin (the role of Argo Events'
// sensor or a GitOps tool in a real cluster).
import {
  GROUP,
  KIND,
  PLURAL,
  VERSION,
  type ResumeRequest,
  type ResumeRequestSpec,
} from '../../src/api/resume-request.js';
import { accountIdOf } from '../fixtures/github/payloads.js';
import { GiveUp, waitFor } from './plane.js';
import { customObjects } from './workflows.js';

const api = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export async function createResumeRequest(
  namespace: string,
  name: string,
  spec: ResumeRequestSpec,
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Promise<ResumeRequest> {
  return (await customObjects().createNamespacedCustomObject({
    ...api,
    namespace,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, metadata: { name, ...metadata }, spec },
  })) as ResumeRequest;
}

export async function getResumeRequest(namespace: string, name: string): Promise<ResumeRequest | undefined> {
  try {
    return (await customObjects().getNamespacedCustomObject({ ...api, namespace, name })) as ResumeRequest;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Waits for the request to reach `phase`; fails early if it settles in another final phase. */
export function waitForPhase(
  namespace: string,
  name: string,
  phase: string,
  timeoutMs = 30_000,
): Promise<ResumeRequest> {
  return waitFor(
    `ResumeRequest ${namespace}/${name} to reach ${phase}`,
    async () => {
      const request = await getResumeRequest(namespace, name);
      const current = request?.status?.phase;
      if (current === phase) return request;
      if (current && ['Succeeded', 'Failed', 'Ignored'].includes(current)) {
        throw new GiveUp(
          `${name} settled as ${current} (${request?.status?.reason}: ${request?.status?.message})`,
        );
      }
      return undefined;
    },
    { timeoutMs },
  );
}

/**
 * Real GitHub facts for a delivery, in the shape Argo Events' sensor fills spec.github with: by
 * default a pull request from a branch of acme-org/widgets, acted on by one of its members.
 */
export function githubFacts(
  event: 'pull_request' | 'pull_request_review',
  action: string,
  extra: Partial<NonNullable<ResumeRequestSpec['github']>> = {},
): NonNullable<ResumeRequestSpec['github']> {
  const facts = {
    deliveryId: `d-${Math.random().toString(16).slice(2, 14)}`,
    event,
    action,
    occurredAt: new Date().toISOString(),
    authorAssociation: 'MEMBER' as const,
    ...(event === 'pull_request_review' ? { reviewAuthorAssociation: 'MEMBER' as const } : {}),
    headRepository: 'acme-org/widgets',
    headRepositoryFork: false,
    sender: 'mona',
    ...extra,
  };
  // A review's author is its sender, with an account of its own.
  return event === 'pull_request_review'
    ? { reviewer: facts.sender, reviewerId: accountIdOf(facts.sender), ...facts }
    : facts;
}

/** The marker a resume by this request writes on the workflow: `namespace/name/uid`, read from the API. */
export async function markerOf(namespace: string, name: string): Promise<string> {
  const request = await getResumeRequest(namespace, name);
  if (!request?.metadata.uid) throw new Error(`ResumeRequest ${namespace}/${name} does not exist`);
  return `${namespace}/${name}/${request.metadata.uid}`;
}
