// Plays on a node: the container-step play (its stages run as pods through Argo's executor) and a
// driver that takes several suspend-only plays through their three stages with ResumeRequests,
// one request per stage sent once the workflow waits there, then checks every request final and
// every stage resumed once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { Workflow } from '../../src/api/workflow.js';
import { kubectlOk, plane, projectRoot, waitFor } from './plane.js';
import { createResumeRequest, getResumeRequest } from './resume-requests.js';
import {
  createWorkflow,
  playWorkflow,
  STAGE_NODES,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from './workflows.js';

const EVENTS = ['pr-created', 'pr-labeled-ready', 'pr-approved'] as const;
const FINAL = ['Succeeded', 'Failed', 'Ignored'];

/** The play whose stages are container steps, with the node's step image. */
export function stepsPlay(name: string, taskId: string): Workflow {
  const manifest = parse(
    readFileSync(join(projectRoot, 'test/fixtures/workflows/play-steps.yaml'), 'utf8'),
  ) as Workflow & { spec: { templates: { container?: { image: string } }[] } };
  manifest.metadata.name = name;
  manifest.metadata.labels = { ...manifest.metadata.labels, 'task-id': taskId };
  const image = plane().env.STEP_IMAGE;
  if (!image) throw new Error('the plane has no node (STEP_IMAGE is missing from its env)');
  for (const template of manifest.spec.templates) if (template.container) template.container.image = image;
  return manifest;
}

/** Lets the workflows' pods in `namespace` report their results (Argo's executor role). */
export async function allowExecutor(namespace: string): Promise<void> {
  await kubectlOk([
    '-n',
    namespace,
    'create',
    'rolebinding',
    'argo-executor',
    '--clusterrole=argo-executor',
    `--serviceaccount=${namespace}:default`,
  ]);
}

export function requestName(workflow: string, stage: number): string {
  return `${workflow}-${EVENTS[stage]}`;
}

export async function sendStage(namespace: string, workflow: string, taskId: string, stage: number) {
  await waitForSuspendAt(namespace, workflow, STAGE_NODES[stage]!, 120_000);
  await createResumeRequest(namespace, requestName(workflow, stage), { taskId, eventType: EVENTS[stage]! });
}

export async function waitFinal(
  namespace: string,
  name: string,
  timeoutMs = 180_000,
): Promise<ResumeRequest> {
  return waitFor(
    `ResumeRequest ${namespace}/${name} to be final`,
    async () => {
      const request = await getResumeRequest(namespace, name);
      return FINAL.includes(request?.status?.phase ?? '') ? request : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export interface PlayRun {
  namespace: string;
  plays: { name: string; taskId: string }[];
}

/** Starts `count` suspend-only plays; resolves once each waits at its first stage. */
export async function startPlays(namespace: string, prefix: string, count: number): Promise<PlayRun> {
  const plays = Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}`,
    taskId: `${prefix.replace(/\D/g, '')}${i}${Date.now() % 1000}`,
  }));
  for (const play of plays)
    await createWorkflow(namespace, playWorkflow(play.name, { 'task-id': play.taskId }));
  return { namespace, plays };
}

/** Sends one stage's requests for every play (each once it waits there). */
export async function sendStageForAll(run: PlayRun, stage: number): Promise<void> {
  await Promise.all(run.plays.map((play) => sendStage(run.namespace, play.name, play.taskId, stage)));
}

/**
 * Takes the plays through their remaining stages, then checks the outcome: every request final
 * and Succeeded as Resumed after one resume, every workflow Succeeded.
 */
export async function finishPlays(run: PlayRun, fromStage: number): Promise<ResumeRequest[]> {
  for (let stage = fromStage; stage < EVENTS.length; stage++) await sendStageForAll(run, stage);
  const requests: ResumeRequest[] = [];
  for (const play of run.plays) {
    await waitForWorkflowPhase(run.namespace, play.name, 'Succeeded', 240_000);
    for (let stage = 0; stage < EVENTS.length; stage++)
      requests.push(await waitFinal(run.namespace, requestName(play.name, stage)));
  }
  return requests;
}

/** What the requests of a run came to: phase/reason counts, for one readable assertion. */
export function outcomes(requests: ResumeRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) {
    const key = `${request.status?.phase}/${request.status?.reason}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
