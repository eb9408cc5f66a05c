// The same suspended play workflow, twice: one resumed by the real `argo resume` CLI, the other
// by applyResume and a PUT through client-node, or by the merge patch built from the cache's copy.
// Both must end with the same node phase, outputs and spec.suspend, and the real Argo controller
// must advance both alike.
import * as k8s from '@kubernetes/client-node';
import type { Workflow, WorkflowNode } from '../../src/api/workflow.js';
import { projectWorkflow } from '../../src/controller/workflow-projection.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { resumePatch } from '../../src/domain/resume-patch.js';
import { compressNodes, readNodes } from '../../src/domain/compressed-nodes.js';
import { applyResume, markerKeyFor } from '../../src/domain/resume-mutation.js';
import { createNamespace, plane, run, waitFor, type RunResult } from '../support/plane.js';
import {
  createWorkflow,
  customObjects,
  getWorkflow,
  playWorkflow,
  waitForWorkflowPhase,
} from '../support/workflows.js';

const workflowsApi = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;
const STAGES = [
  ['waiting-pr-created', 'wait-pr-created'],
  ['waiting-ready-for-qa', 'wait-ready-for-qa'],
  ['waiting-pr-approved', 'wait-pr-approved'],
] as const;

let namespace: string;
let pairs = 0;

beforeAll(async () => {
  namespace = await createNamespace('golden');
});

function argo(args: string[]): Promise<RunResult> {
  const p = plane();
  // No ARGO_SERVER: the CLI then talks to the Kubernetes API directly, as `argo resume` in a cluster does.
  return run(p.env.ARGO_BIN!, [...args, '--kubeconfig', p.kubeconfigPath, '-n', namespace], {
    env: { ARGO_SERVER: '', KUBECONFIG: p.kubeconfigPath },
  });
}

/** The play workflow, its approval node with a global supplied output (and more, when asked). */
function approvalWorkflow(name: string, extraOutputs: object[] = []): Workflow {
  const workflow = playWorkflow(name);
  const templates = (workflow.spec as { templates: { name: string; outputs?: object }[] }).templates;
  templates.find((t) => t.name === 'wait-pr-approved')!.outputs = {
    parameters: [
      { name: 'approver', globalName: 'approver', valueFrom: { supplied: {}, default: 'nobody' } },
      ...extraOutputs,
    ],
  };
  return workflow;
}

function nodesOf(workflow: Workflow): WorkflowNode[] {
  const read = readNodes(workflow);
  if (!read.ok) throw new Error(read.message);
  return Object.values(read.nodes);
}

const nodeNamed = (workflow: Workflow, displayName: string) =>
  nodesOf(workflow).find((node) => node.displayName === displayName);

/** Waits until the stage's suspend node is running, and returns the workflow as read then. */
function waitForStage(name: string, stage: number): Promise<Workflow> {
  return waitFor(
    `${namespace}/${name} to wait at ${STAGES[stage]![1]}`,
    async () => {
      const workflow = await getWorkflow(namespace, name);
      const node = nodeNamed(workflow, STAGES[stage]![1]);
      return node?.type === 'Suspend' && node.phase === 'Running' ? workflow : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

async function createPair(build: (name: string) => Workflow = approvalWorkflow): Promise<[string, string]> {
  const n = pairs++;
  const names: [string, string] = [`by-argo-${n}`, `by-operator-${n}`];
  for (const name of names) await createWorkflow(namespace, build(name));
  return names;
}

/** What both resumes must agree on for one stage's node, and the workflow around it. */
function outcome(workflow: Workflow, stage: number) {
  const node = nodeNamed(workflow, STAGES[stage]![1]);
  return {
    phase: node?.phase,
    finished: Boolean(node?.finishedAt),
    outputs: node?.outputs,
    suspend: workflow.spec?.suspend,
    globalOutputs: workflow.status?.outputs,
  };
}

/** applyResume on the workflow as read, then a whole-object PUT with its resourceVersion. */
async function resumeByOperator(
  workflow: Workflow,
  stage: number,
  parameters: Record<string, string> = {},
  prepare: (workflow: Workflow) => Workflow = (w) => w,
): Promise<Workflow> {
  const node = nodeNamed(workflow, STAGES[stage]![1])!;
  const result = applyResume(prepare(workflow), {
    nodeId: node.id,
    parameters,
    markerKey: markerKeyFor(STAGES[stage]![0]),
    markerValue: `${namespace}/golden`,
    message: 'Resumed by ResumeRequest golden',
    now: new Date(),
  });
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return (await customObjects().replaceNamespacedCustomObject({
    ...workflowsApi,
    namespace,
    name: workflow.metadata.name,
    body: result.workflow,
  })) as Workflow;
}

/** resumePatch on the cache's copy of the workflow as read, sent as a merge patch. */
async function resumeByPatch(workflow: Workflow, stage: number): Promise<Workflow> {
  const copy = projectWorkflow(workflow, defaultDomainConfig, {
    maxNodes: 1000,
    maxInflatedBytes: 1 << 20,
    maxBytes: 1 << 20,
  });
  const planned = resumePatch(copy, {
    nodeId: nodeNamed(workflow, STAGES[stage]![1])!.id,
    markerKey: markerKeyFor(STAGES[stage]![0]),
    markerValue: `${namespace}/golden`,
    message: 'Resumed by ResumeRequest golden',
    now: new Date(),
  });
  if (!planned?.ok || !planned.changed) throw new Error(`no patch: ${JSON.stringify(planned)}`);
  return (await customObjects().patchNamespacedCustomObject(
    { ...workflowsApi, namespace, name: workflow.metadata.name, body: planned.patch },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as Workflow;
}

/** Runs the CLI and insists it succeeded (it logs to stderr even then). */
async function argoOk(args: string[]): Promise<string> {
  const result = await argo(args);
  if (result.code !== 0) throw new Error(`argo ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

async function resumeByArgo(name: string): Promise<void> {
  expect(await argoOk(['resume', name])).toContain(`workflow ${name} resumed`);
}

/** After a resume, both must move on: to the next stage, or to Succeeded after the last. */
async function advanced(name: string, stage: number): Promise<Workflow> {
  return stage + 1 < STAGES.length
    ? waitForStage(name, stage + 1)
    : waitForWorkflowPhase(namespace, name, 'Succeeded');
}

describe('applyResume and the resume patch against `argo resume` on the real controller', () => {
  const writes = [
    ['applyResume and an Update', (before: Workflow, stage: number) => resumeByOperator(before, stage)],
    ['the merge patch from the cache’s copy', resumeByPatch],
  ] as const;

  it.each(writes)(
    'resumes every stage alike with %s, parameter defaults included, through to Succeeded',
    async (_how, resume) => {
      const [byArgo, byOperator] = await createPair();
      for (let stage = 0; stage < STAGES.length; stage++) {
        const [argoBefore, operatorBefore] = await Promise.all([
          waitForStage(byArgo, stage),
          waitForStage(byOperator, stage),
        ]);
        expect(outcome(operatorBefore, stage)).toEqual(outcome(argoBefore, stage));
        await resumeByArgo(byArgo);
        const written = await resume(operatorBefore, stage);
        expect(written.metadata.annotations?.[markerKeyFor(STAGES[stage]![0])]).toBe(`${namespace}/golden`);
        const [argoAfter, operatorAfter] = await Promise.all([
          advanced(byArgo, stage),
          advanced(byOperator, stage),
        ]);
        expect(outcome(operatorAfter, stage)).toEqual(outcome(argoAfter, stage));
        expect(outcome(operatorAfter, stage)).toMatchObject({ phase: 'Succeeded', finished: true });
      }
      const [argoDone, operatorDone] = await Promise.all([
        getWorkflow(namespace, byArgo),
        getWorkflow(namespace, byOperator),
      ]);
      // A default is not a supplied value: Argo does not copy it to the workflow's global outputs.
      expect(operatorDone.status?.outputs).toEqual(argoDone.status?.outputs);
      expect(nodeNamed(operatorDone, 'wait-pr-approved')?.outputs).toEqual({
        parameters: [{ name: 'approver', value: 'nobody', globalName: 'approver' }],
      });
      expect(nodeNamed(operatorDone, 'wait-pr-approved')?.outputs).toEqual(
        nodeNamed(argoDone, 'wait-pr-approved')?.outputs,
      );
    },
  );

  it('refuses the merge patch with 409 once the workflow has moved past the copy it was built from', async () => {
    const [, byOperator] = await createPair();
    const stale = await waitForStage(byOperator, 0);
    await resumeByPatch(stale, 0);
    await expect(resumeByPatch(stale, 0)).rejects.toMatchObject({ code: 409 });
    const after = await waitForStage(byOperator, 1);
    expect(outcome(after, 0)).toMatchObject({ phase: 'Succeeded', finished: true });
  });

  it('supplies output parameters as `argo node set` followed by `argo resume` does', async () => {
    const [byArgo, byOperator] = await createPair();
    for (const stage of [0, 1]) {
      await Promise.all([waitForStage(byArgo, stage), waitForStage(byOperator, stage)]);
      await resumeByArgo(byArgo);
      await resumeByOperator(await getWorkflow(namespace, byOperator), stage);
    }
    const operatorBefore = await waitForStage(byOperator, 2);
    await waitForStage(byArgo, 2);
    await argoOk([
      'node',
      'set',
      byArgo,
      '--output-parameter',
      'approver=alice',
      '--node-field-selector',
      'displayName=wait-pr-approved',
    ]);
    await resumeByArgo(byArgo);
    await resumeByOperator(operatorBefore, 2, { approver: 'alice' });

    const [argoDone, operatorDone] = await Promise.all([
      waitForWorkflowPhase(namespace, byArgo, 'Succeeded'),
      waitForWorkflowPhase(namespace, byOperator, 'Succeeded'),
    ]);
    expect(outcome(operatorDone, 2)).toEqual(outcome(argoDone, 2));
    expect(nodeNamed(operatorDone, 'wait-pr-approved')?.outputs).toEqual({
      parameters: [{ name: 'approver', value: 'alice', globalName: 'approver' }],
    });
    expect(operatorDone.status?.outputs).toEqual({ parameters: [{ name: 'approver', value: 'alice' }] });
  });

  it.each(writes)(
    'with %s clears spec.suspend of a workflow suspended as a whole, as `argo resume` does',
    async (_how, resume) => {
      const [byArgo, byOperator] = await createPair();
      await Promise.all([waitForStage(byArgo, 0), waitForStage(byOperator, 0)]);
      for (const name of [byArgo, byOperator]) await argoOk(['suspend', name]);
      const operatorBefore = await waitFor('the suspend to be stored', async () => {
        const workflow = await getWorkflow(namespace, byOperator);
        return workflow.spec?.suspend === true ? workflow : undefined;
      });
      await resumeByArgo(byArgo);
      await resume(operatorBefore, 0);
      const [argoAfter, operatorAfter] = await Promise.all([advanced(byArgo, 0), advanced(byOperator, 0)]);
      expect(outcome(operatorAfter, 0)).toEqual(outcome(argoAfter, 0));
      expect(operatorAfter.spec?.suspend).toBeUndefined();
    },
  );

  it('refuses a supplied parameter without value or default with Argo’s message, writing nothing', async () => {
    const withComment = (name: string) =>
      approvalWorkflow(name, [{ name: 'comment', valueFrom: { supplied: {} } }]);
    const [byArgo, byOperator] = await createPair(withComment);
    for (const stage of [0, 1]) {
      await Promise.all([waitForStage(byArgo, stage), waitForStage(byOperator, stage)]);
      await resumeByArgo(byArgo);
      await resumeByOperator(await getWorkflow(namespace, byOperator), stage);
    }
    const operatorBefore = await waitForStage(byOperator, 2);
    const argoBefore = await waitForStage(byArgo, 2);
    const refused = await argo(['resume', byArgo]);
    expect(refused.code).not.toBe(0);
    const node = nodeNamed(operatorBefore, 'wait-pr-approved')!;
    const result = applyResume(operatorBefore, {
      nodeId: node.id,
      markerKey: markerKeyFor('waiting-pr-approved'),
      markerValue: `${namespace}/golden`,
      message: 'Resumed by ResumeRequest golden',
      now: new Date(),
    });
    expect(result).toMatchObject({ ok: false, reason: 'MissingParameterValue' });
    expect(refused.stderr).toContain(result.ok ? 'unreachable' : result.message);
    const argoAfter = await getWorkflow(namespace, byArgo);
    expect(argoAfter.metadata.resourceVersion).toBe(argoBefore.metadata.resourceVersion);
  });

  it('writes a compressed node map the controller reads, and advances the workflow', async () => {
    const [, byOperator] = await createPair();
    const before = await waitForStage(byOperator, 0);
    // Argo compresses the nodes of workflows over 1 MiB; this one gets the same form without the size.
    const compressed = (workflow: Workflow): Workflow => {
      const copy = structuredClone(workflow);
      copy.status!.compressedNodes = compressNodes(copy.status!.nodes!);
      delete copy.status!.nodes;
      return copy;
    };
    const written = await resumeByOperator(before, 0, {}, compressed);
    expect(written.status?.nodes).toBeUndefined();
    expect(written.status?.compressedNodes).toEqual(expect.any(String));
    const after = await waitForStage(byOperator, 1);
    expect(outcome(after, 0)).toMatchObject({ phase: 'Succeeded', finished: true });
  });
});
