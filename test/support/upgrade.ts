// What an upgrade test needs, however the operator runs (local processes on the plane, or the
// chart's pods on a real node): the previous release built from its commit, requests put in
// flight under it, and the checks that each of them completes exactly once after the upgrade.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ResumeRequestSpec } from '../../src/api/resume-request.js';
import { camelToEnv, camelToKebab, type Settings } from '../../src/config.js';
import { startFaultWebhook, type FaultWebhook } from './fault-webhook.js';
import { kubectlOk, projectRoot, run, waitFor } from './plane.js';
import {
  createResumeRequest,
  getResumeRequest,
  githubFacts,
  markerOf,
  waitForPhase,
} from './resume-requests.js';
import {
  createWorkflow,
  getWorkflow,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from './workflows.js';

export const CRD = 'resumerequests.resume.workflows.dev';
const CRD_FILE = 'crds/resume.workflows.dev_resumerequests.yaml';
const previousScript = join(projectRoot, 'hack/release/previous');

export interface PreviousRelease {
  version: string;
  /** Its sources (charts/, config/, crds/, …) and dist/operator.mjs, built from its commit. */
  dir: string;
}

/** `hack/release/previous ARGS`; fails with the script's message (a shallow clone, say). */
async function previous(args: string[]): Promise<string> {
  // A cold cache builds the release's bundle or image: minutes, once per machine.
  const result = await run(previousScript, args, { timeoutMs: 900_000 });
  if (result.code !== 0) throw new Error(`hack/release/previous ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

/** The newest recorded release (hack/release/releases), built from its commit and cached. */
export async function previousRelease(): Promise<PreviousRelease> {
  const dir = await previous([]);
  return { version: await previous(['version']), dir };
}

/** That release's image, built from its own Dockerfile and sources, in the container engine. */
export function previousReleaseImage(): Promise<string> {
  return previous(['image']);
}

/** This tree's version (package.json): the chart's version and appVersion, the image's tag. */
export function currentVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

interface CrdSchema {
  spec: {
    versions: Array<{
      schema: { openAPIV3Schema: { properties: Record<'spec' | 'status', { properties: object }> } };
    }>;
  };
}

const fieldsOf = (crd: CrdSchema) => {
  const properties = crd.spec.versions[0]!.schema.openAPIV3Schema.properties;
  return {
    spec: Object.keys(properties.spec.properties).sort(),
    status: Object.keys(properties.status.properties).sort(),
  };
};

/** The installed ResumeRequest CRD: its resource policy and the fields of its spec and status. */
export async function installedCrd() {
  const crd = JSON.parse(await kubectlOk(['get', 'crd', CRD, '-o', 'json'])) as CrdSchema & {
    metadata: { annotations?: Record<string, string> };
  };
  return { annotations: crd.metadata.annotations ?? {}, fields: fieldsOf(crd) };
}

/** The fields of the CRD a tree ships (a release's sources, or this tree's). */
export function shippedCrdFields(root = projectRoot) {
  return fieldsOf(parse(readFileSync(join(root, CRD_FILE), 'utf8')) as CrdSchema);
}

/**
 * The settings every install in an upgrade test runs with, before and after: a lease that changes
 * hands within seconds, and retries that outlast the rollout, so that the request put in flight
 * retrying is still retrying when the new release takes over (up to 50 attempts, at most 4 s apart).
 */
export const UPGRADE_SETTINGS: Partial<Settings> = {
  leaseDurationMs: 4000,
  renewDeadlineMs: 3000,
  retryPeriodMs: 500,
  retryMaxAttempts: 50,
  retryInitialDelayMs: 500,
  retryMaxDelayMs: 4000,
};
const settings = Object.entries(UPGRADE_SETTINGS);
/** UPGRADE_SETTINGS as chart values (`--set settings.NAME=VALUE`). */
export const upgradeChartValues = () =>
  settings.flatMap(([key, value]) => ['--set', `settings.${key}=${value}`]);
/** UPGRADE_SETTINGS as the operator's flags. */
export const upgradeFlags = () => settings.map(([key, value]) => `--${camelToKebab(key)}=${value}`);
/** UPGRADE_SETTINGS as a container's environment (WRO_* variables). */
export const upgradeEnv = () =>
  settings.map(([key, value]) => ({ name: camelToEnv(key), value: String(value) }));

const approval = (taskId: string, reviewer: string): ResumeRequestSpec => ({
  taskId,
  eventType: 'pr-approved',
  repository: 'acme-org/widgets',
  github: githubFacts('pull_request_review', 'submitted', { reviewState: 'approved', sender: reviewer }),
});

/**
 * Puts three requests in flight in `namespace` under the release running now: one waiting for a
 * stage its workflow has not reached, one held at an approval gate, and one retrying against the
 * API server, which refuses `operatorUser`'s writes to its workflow (through the returned webhook,
 * which the caller closes). Each is seen in its state before this returns.
 */
export async function putRequestsInFlight(namespace: string, operatorUser: string): Promise<FaultWebhook> {
  const webhook = await startFaultWebhook(namespace, operatorUser);
  try {
    // Waiting: an event for a stage its workflow has not reached.
    await createWorkflow(namespace, playWorkflow('waits', { 'task-id': 'u1' }));
    await waitForSuspendAt(namespace, 'waits', 'wait-pr-created');
    await createResumeRequest(namespace, 'u1-ready', { taskId: 'u1', eventType: 'pr-labeled-ready' });
    expect((await waitForPhase(namespace, 'u1-ready', 'Waiting')).status?.reason).toBe('StageNotReached');

    // Gated: one approval of the two the workflow asks for.
    const gated = playWorkflow('gated', { 'task-id': 'u2' });
    gated.metadata.annotations = { 'resume.workflows.dev/required-approvals': '2' };
    await createWorkflow(namespace, gated);
    await waitForSuspendAt(namespace, 'gated', 'wait-pr-created');
    await createResumeRequest(namespace, 'u2-created', { taskId: 'u2', eventType: 'pr-created' });
    await waitForSuspendAt(namespace, 'gated', 'wait-ready-for-qa');
    await createResumeRequest(namespace, 'u2-ready', { taskId: 'u2', eventType: 'pr-labeled-ready' });
    await waitForSuspendAt(namespace, 'gated', 'wait-pr-approved');
    await createResumeRequest(namespace, 'u2-alice', approval('u2', 'alice'));
    expect((await waitForPhase(namespace, 'u2-alice', 'Waiting')).status?.reason).toBe('ApprovalsPending');

    // Retrying: the API server refuses the operator's writes to this workflow.
    await createWorkflow(namespace, playWorkflow('retries', { 'task-id': 'u3', 'fault-injection': 'on' }));
    await waitForSuspendAt(namespace, 'retries', 'wait-pr-created');
    webhook.failing = true;
    await createResumeRequest(namespace, 'u3-created', { taskId: 'u3', eventType: 'pr-created' });
    await waitFor('u3-created to be retrying', async () => {
      const status = (await getResumeRequest(namespace, 'u3-created'))?.status;
      return status?.phase === 'Resuming' && status.reason === 'RetryScheduled' ? true : undefined;
    });
    return webhook;
  } catch (error) {
    await webhook.close();
    throw error;
  }
}

/**
 * After the upgrade, with the new release leading: a field the new CRD added is stored, each
 * request put in flight completes once the API server accepts writes again, new requests work,
 * and each stage's marker names the one request that resumed it, the refused workflow having
 * taken exactly one write from the operator.
 */
export async function expectEachCompletedOnce(
  namespace: string,
  webhook: FaultWebhook,
  timeoutMs = 60_000,
): Promise<void> {
  await createResumeRequest(namespace, 'u9-ttl', {
    taskId: 'u9',
    eventType: 'pr-created',
    ttlSecondsAfterFinished: 3600,
  });
  expect((await getResumeRequest(namespace, 'u9-ttl'))?.spec.ttlSecondsAfterFinished).toBe(3600);

  webhook.failing = false;
  const retried = await waitForPhase(namespace, 'u3-created', 'Succeeded', timeoutMs);
  expect(retried.status?.reason).toBe('Resumed');
  expect(retried.status?.attempts).toBeGreaterThanOrEqual(2);
  await createResumeRequest(namespace, 'u1-created', { taskId: 'u1', eventType: 'pr-created' });
  expect((await waitForPhase(namespace, 'u1-created', 'Succeeded', timeoutMs)).status?.reason).toBe(
    'Resumed',
  );
  expect((await waitForPhase(namespace, 'u1-ready', 'Succeeded', timeoutMs)).status?.reason).toBe('Resumed');
  await createResumeRequest(namespace, 'u2-bob', approval('u2', 'bob'));
  expect((await waitForPhase(namespace, 'u2-bob', 'Succeeded', timeoutMs)).status?.reason).toBe('Resumed');
  expect((await waitForPhase(namespace, 'u2-alice', 'Succeeded', timeoutMs)).status?.reason).toBe(
    'ApprovalCounted',
  );

  // And a new one works: the waiting workflow's approval takes it to the end.
  await waitForSuspendAt(namespace, 'waits', 'wait-pr-approved', timeoutMs);
  await createResumeRequest(namespace, 'u1-approved', approval('u1', 'carol'));
  expect((await waitForPhase(namespace, 'u1-approved', 'Succeeded', timeoutMs)).status?.reason).toBe(
    'Resumed',
  );
  await waitForWorkflowPhase(namespace, 'waits', 'Succeeded', timeoutMs);
  await waitForWorkflowPhase(namespace, 'gated', 'Succeeded', timeoutMs);

  // Each stage's marker names the one request that resumed it: this release names its uid too,
  // the previous one (which resumed u2's first two stages) named the request alone.
  const markers = async (name: string) =>
    Object.fromEntries(
      Object.entries((await getWorkflow(namespace, name)).metadata.annotations ?? {}).filter(
        ([key]) => key.startsWith('resume.workflows.dev/waiting-') && !key.endsWith('.approvals'),
      ),
    );
  expect(await markers('waits')).toEqual({
    'resume.workflows.dev/waiting-pr-created': await markerOf(namespace, 'u1-created'),
    'resume.workflows.dev/waiting-ready-for-qa': await markerOf(namespace, 'u1-ready'),
    'resume.workflows.dev/waiting-pr-approved': await markerOf(namespace, 'u1-approved'),
  });
  expect(await markers('gated')).toEqual({
    'resume.workflows.dev/waiting-pr-created': `${namespace}/u2-created`,
    'resume.workflows.dev/waiting-ready-for-qa': `${namespace}/u2-ready`,
    'resume.workflows.dev/waiting-pr-approved': await markerOf(namespace, 'u2-bob'),
  });
  expect(await markers('retries')).toEqual({
    'resume.workflows.dev/waiting-pr-created': await markerOf(namespace, 'u3-created'),
  });
  expect(webhook.calls.allowed).toBe(1);
}
