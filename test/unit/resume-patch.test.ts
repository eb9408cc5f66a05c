// The merge patch built from the cache's copy of a workflow must have, applied to the whole
// workflow, exactly the effect applyResume has on it; and it must step aside wherever a patch
// cannot express the resume. test/integration/golden-resume.test.ts checks it against the real
// `argo resume` on the plane.
import type { Workflow, WorkflowParameter } from '../../src/api/workflow.js';
import { projectWorkflow } from '../../src/controller/workflow-projection.js';
import { compressNodes } from '../../src/domain/compressed-nodes.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { Reason } from '../../src/domain/reasons.js';
import { applyResume, markerKeyFor, type ResumeMutation } from '../../src/domain/resume-mutation.js';
import { resumePatch } from '../../src/domain/resume-patch.js';
import { nodeAt, playWorkflow, STAGES } from '../fixtures/play-workflows.js';

const limits = { maxNodes: 100, maxInflatedBytes: 1 << 20, maxBytes: 1 << 20 };
const cached = (workflow: Workflow) => projectWorkflow(workflow, defaultDomainConfig, limits);

const mutation = (
  workflow: Workflow,
  index: number,
  extra: Partial<ResumeMutation> = {},
): ResumeMutation => ({
  nodeId: nodeAt(workflow, index).id,
  markerKey: markerKeyFor(STAGES[index]!.stage),
  markerValue: 'ci/gh-1',
  message: 'Resumed by ResumeRequest ci/gh-1',
  now: new Date('2019-05-15T15:22:07.123Z'),
  ...extra,
});

/** RFC 7386, as the API server applies a merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** What the API server stores after the patch; its precondition fields must match the copy. */
function patched(whole: Workflow, patch: Record<string, unknown>): Workflow {
  const metadata = patch.metadata as { uid?: string; resourceVersion?: string };
  expect(metadata.resourceVersion).toBe(whole.metadata.resourceVersion);
  expect(metadata.uid).toBe(whole.metadata.uid);
  return mergePatch(whole, patch) as Workflow;
}

function wholeResult(whole: Workflow, m: ResumeMutation): Workflow {
  const result = applyResume(whole, m);
  if (!result.ok) throw new Error(result.message);
  return result.workflow;
}

function patchOf(workflow: Workflow, m: ResumeMutation): Record<string, unknown> {
  const planned = resumePatch(cached(workflow), m);
  if (!planned?.ok || !planned.changed) throw new Error(`no patch: ${JSON.stringify(planned)}`);
  return planned.patch;
}

const approvalOutputs: WorkflowParameter[] = [
  { name: 'approver', globalName: 'approver', valueFrom: { supplied: {}, default: 'nobody' } },
  { name: 'comment', valueFrom: { supplied: {} } },
];

describe('resumePatch', () => {
  it.each([0, 1, 2])('has applyResume’s effect on the whole workflow at stage %i', (at) => {
    const whole = playWorkflow({ at, annotations: { 'kept/annotation': 'yes' } });
    const m = mutation(whole, at);
    expect(patched(whole, patchOf(whole, m))).toEqual(wholeResult(whole, m));
  });

  it('writes supplied values and defaults, and clears spec.suspend, as applyResume does', () => {
    const whole = playWorkflow({ at: 2, suspend: true, approvalOutputs });
    const m = mutation(whole, 2, { parameters: { comment: 'lgtm' } });
    const patch = patchOf(whole, m);
    expect(patch.spec).toEqual({ suspend: null });
    const after = patched(whole, patch);
    expect(after).toEqual(wholeResult(whole, m));
    expect(after.spec?.suspend).toBeUndefined();
    expect(nodeAt(after, 2).outputs?.parameters).toEqual([
      { name: 'approver', globalName: 'approver', value: 'nobody' },
      { name: 'comment', value: 'lgtm' },
    ]);
  });

  it('names only the node, the marker and the preconditions', () => {
    const whole = playWorkflow({ at: 1 });
    const m = mutation(whole, 1);
    expect(patchOf(whole, m)).toEqual({
      metadata: {
        uid: whole.metadata.uid,
        resourceVersion: whole.metadata.resourceVersion,
        annotations: { [m.markerKey]: 'ci/gh-1' },
      },
      status: {
        nodes: {
          [m.nodeId]: {
            phase: 'Succeeded',
            finishedAt: '2019-05-15T15:22:07Z',
            message: 'Resumed by ResumeRequest ci/gh-1',
          },
        },
      },
    });
  });

  it('steps aside for a node map Argo stored compressed', () => {
    const whole = playWorkflow({ at: 1 });
    whole.status = { phase: 'Running', compressedNodes: compressNodes(whole.status!.nodes!) };
    const copy = cached(whole);
    expect(copy.nodesWereCompressed).toBe(true);
    expect(resumePatch(copy, mutation(playWorkflow({ at: 1 }), 1))).toBeUndefined();
    // The same, when the decision saw the whole object rather than the cache's copy.
    expect(resumePatch(whole, mutation(playWorkflow({ at: 1 }), 1))).toBeUndefined();
  });

  it('steps aside when a supplied value is copied to a global output', () => {
    const whole = playWorkflow({ at: 2, approvalOutputs });
    expect(
      resumePatch(cached(whole), mutation(whole, 2, { parameters: { approver: 'alice', comment: 'lgtm' } })),
    ).toBeUndefined();
  });

  it('steps aside for a node whose message the cache cut, so the cut is never written back', () => {
    const whole = playWorkflow({ at: 1 });
    nodeAt(whole, 1).message = 'm'.repeat(5000);
    const copy = cached(whole);
    expect(copy.projection?.clippedNodes).toEqual([nodeAt(whole, 1).id]);
    expect(resumePatch(copy, mutation(whole, 1))).toBeUndefined();
    // Another node of the same workflow is still patched from the copy.
    const other = playWorkflow({ at: 1 });
    nodeAt(other, 0).message = 'm'.repeat(5000);
    expect(resumePatch(cached(other), mutation(other, 1))).toMatchObject({ ok: true, changed: true });
  });
  it('steps aside without a resourceVersion to make the write conditional on', () => {
    const whole = playWorkflow({ at: 0 });
    delete whole.metadata.resourceVersion;
    expect(resumePatch(cached(whole), mutation(whole, 0))).toBeUndefined();
  });

  it('writes nothing when this request’s resume is already in the copy', () => {
    const whole = playWorkflow({ at: 1 });
    const m = mutation(whole, 1);
    const done = wholeResult(whole, m);
    expect(resumePatch(cached(done), m)).toEqual({ ok: true, changed: false });
  });

  it('refuses as applyResume does: a node resumed by another request, a parameter it does not expect', () => {
    const whole = playWorkflow({ at: 1 });
    const done = wholeResult(whole, mutation(whole, 1, { markerValue: 'ci/other' }));
    expect(resumePatch(cached(done), mutation(whole, 1))).toMatchObject({
      ok: false,
      reason: Reason.AlreadyResumed,
    });
    expect(resumePatch(cached(whole), mutation(whole, 1, { parameters: { nope: 'x' } }))).toMatchObject({
      ok: false,
      reason: Reason.UnexpectedParameter,
    });
  });
});
