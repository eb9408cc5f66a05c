// applyResume against the effects of Argo's util.ResumeWorkflow / updateSuspendedNode on one
// node, including its error messages; test/integration/golden-resume.test.ts checks the same
// against the real `argo resume` on the plane.
import { compressNodes, decompressNodes } from '../../src/domain/compressed-nodes.js';
import { applyResume, markerKeyFor, type ResumeMutation } from '../../src/domain/resume-mutation.js';
import { Reason } from '../../src/domain/reasons.js';
import type { Workflow, WorkflowParameter } from '../../src/api/workflow.js';
import { nodeAt, playWorkflow } from '../fixtures/play-workflows.js';

const now = new Date('2019-05-15T15:22:07.123Z');
const mutation = (
  workflow: Workflow,
  index: number,
  extra: Partial<ResumeMutation> = {},
): ResumeMutation => ({
  nodeId: nodeAt(workflow, index).id,
  markerKey: markerKeyFor(['waiting-pr-created', 'waiting-ready-for-qa', 'waiting-pr-approved'][index]!),
  markerValue: 'ci/gh-1',
  message: 'Resumed by ResumeRequest ci/gh-1 (pr-created)',
  now,
  ...extra,
});

function resumed(workflow: Workflow, m: ResumeMutation): Workflow {
  const result = applyResume(workflow, m);
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.workflow;
}

/** An output parameter whose value the resume supplies (`valueFrom.supplied`). */
const supplied = (
  name: string,
  { globalName, fallback }: { globalName?: string; fallback?: string } = {},
) => ({
  name,
  ...(globalName ? { globalName } : {}),
  valueFrom: { supplied: {}, ...(fallback === undefined ? {} : { default: fallback }) },
});

describe('applyResume', () => {
  it('marks only the node Succeeded, with finishedAt, message and the marker, keeping the precondition', () => {
    const workflow = playWorkflow({ at: 1 });
    const before = structuredClone(workflow);
    const result = applyResume(workflow, mutation(workflow, 1));
    expect(result.ok && result.changed).toBe(true);
    const after = result.ok ? result.workflow : workflow;
    expect(workflow).toEqual(before);

    const expected = structuredClone(before);
    Object.assign(nodeAt(expected, 1), {
      phase: 'Succeeded',
      finishedAt: '2019-05-15T15:22:07Z',
      message: 'Resumed by ResumeRequest ci/gh-1 (pr-created)',
    });
    expected.metadata.annotations = { 'resume.workflows.dev/waiting-ready-for-qa': 'ci/gh-1' };
    expect(after).toEqual(expected);
    expect(after.metadata.resourceVersion).toBe('1234');
  });

  it('appends to a message the node already had, as Argo does', () => {
    const workflow = playWorkflow({ at: 0 });
    nodeAt(workflow, 0).message = 'waiting for the PR';
    expect(nodeAt(resumed(workflow, mutation(workflow, 0)), 0).message).toBe(
      'waiting for the PR; Resumed by ResumeRequest ci/gh-1 (pr-created)',
    );
  });

  it('clears spec.suspend when it was true and leaves false alone', () => {
    const suspended = playWorkflow({ at: 0, suspend: true });
    expect(resumed(suspended, mutation(suspended, 0)).spec).not.toHaveProperty('suspend');
    const running = playWorkflow({ at: 0, suspend: false });
    expect(resumed(running, mutation(running, 0)).spec?.suspend).toBe(false);
  });

  it('sets supplied parameters and copies global ones into status.outputs', () => {
    const workflow = playWorkflow({
      at: 2,
      approvalOutputs: [
        supplied('approver', { globalName: 'approved-by' }),
        supplied('comment', { fallback: '-' }),
      ],
    });
    workflow.status!.outputs = {
      parameters: [
        { name: 'approved-by', value: 'nobody' },
        { name: 'other', value: 'x' },
      ],
    };
    const after = resumed(workflow, mutation(workflow, 2, { parameters: { approver: 'alice' } }));
    expect(nodeAt(after, 2).outputs?.parameters).toEqual([
      { name: 'approver', value: 'alice', globalName: 'approved-by' },
      { name: 'comment', value: '-' },
    ]);
    expect(after.status?.outputs?.parameters).toEqual([
      { name: 'approved-by', value: 'alice' },
      { name: 'other', value: 'x' },
    ]);
  });

  it('creates status.outputs for a first global parameter', () => {
    const workflow = playWorkflow({
      at: 2,
      approvalOutputs: [supplied('approver', { globalName: 'approver' })],
    });
    const after = resumed(workflow, mutation(workflow, 2, { parameters: { approver: 'bob' } }));
    expect(after.status?.outputs).toEqual({ parameters: [{ name: 'approver', value: 'bob' }] });
  });

  it('fills unsupplied parameters from their defaults', () => {
    const workflow = playWorkflow({ at: 2, approvalOutputs: [supplied('approver', { fallback: 'nobody' })] });
    expect(nodeAt(resumed(workflow, mutation(workflow, 2)), 2).outputs?.parameters).toEqual([
      { name: 'approver', value: 'nobody' },
    ]);
  });

  it.each<[string, WorkflowParameter[] | undefined, Record<string, string>, Reason, string]>([
    [
      'a supplied parameter with neither value nor default',
      [supplied('approver')],
      {},
      Reason.MissingParameterValue,
      "raw output parameter 'approver' has not been set and does not have a default value",
    ],
    [
      'a parameter the node does not declare',
      [supplied('approver')],
      { approver: 'a', typo: 'b' },
      Reason.UnexpectedParameter,
      "node is not expecting output parameter 'typo'",
    ],
    [
      'a parameter on a node without outputs',
      undefined,
      { approver: 'a' },
      Reason.UnexpectedParameter,
      'cannot set output parameters because node is not expecting any raw parameters',
    ],
    [
      'a parameter that is not supplied',
      [{ name: 'approver', value: 'fixed' }],
      { approver: 'a' },
      Reason.UnexpectedParameter,
      "cannot set output parameter 'approver' because it does not use valueFrom.raw or it was already set",
    ],
  ])('refuses %s with Argo’s message', (_name, outputs, parameters, reason, message) => {
    const workflow = playWorkflow({ at: 2, ...(outputs ? { approvalOutputs: outputs } : {}) });
    expect(applyResume(workflow, mutation(workflow, 2, { parameters }))).toEqual({
      ok: false,
      reason,
      message,
    });
  });

  it('changes nothing the second time (idempotent)', () => {
    const workflow = playWorkflow({
      at: 2,
      suspend: true,
      approvalOutputs: [supplied('approver', { globalName: 'a' })],
    });
    const once = resumed(workflow, mutation(workflow, 2, { parameters: { approver: 'x' } }));
    const twice = applyResume(
      once,
      mutation(once, 2, { parameters: { approver: 'x' }, now: new Date('2020-01-01T00:00:00Z') }),
    );
    expect(twice).toEqual({ ok: true, workflow: once, changed: false });
  });

  it('refuses a node another request resumed', () => {
    const workflow = playWorkflow({ at: 1 });
    expect(applyResume(workflow, mutation(workflow, 0))).toMatchObject({
      ok: false,
      reason: Reason.AlreadyResumed,
    });
  });

  it('refuses an unknown node and a node that is not a Suspend node', () => {
    const workflow = playWorkflow({ at: 0 });
    expect(applyResume(workflow, { ...mutation(workflow, 0), nodeId: 'nope' })).toMatchObject({
      ok: false,
      reason: Reason.NoMatchingNode,
    });
    expect(applyResume(workflow, { ...mutation(workflow, 0), nodeId: workflow.metadata.name })).toMatchObject(
      {
        ok: false,
        reason: Reason.NoMatchingNode,
      },
    );
  });

  it('refuses offloaded node status', () => {
    const workflow = playWorkflow({ at: 0 });
    const m = mutation(workflow, 0);
    delete workflow.status!.nodes;
    workflow.status!.offloadNodeStatusVersion = 'fnv:1';
    expect(applyResume(workflow, m)).toMatchObject({ ok: false, reason: Reason.OffloadedNodeStatus });
  });

  it('rewrites a compressed node map whole: same nodes, one changed, still compressed', () => {
    const inline = playWorkflow({ at: 1 });
    const m = mutation(inline, 1);
    const compressed = structuredClone(inline);
    compressed.status!.compressedNodes = compressNodes(inline.status!.nodes!);
    delete compressed.status!.nodes;

    const after = resumed(compressed, m);
    expect(after.status).not.toHaveProperty('nodes');
    const fromInline = resumed(inline, m);
    expect(decompressNodes(after.status!.compressedNodes!)).toEqual(fromInline.status!.nodes);
    expect(after.metadata).toEqual(fromInline.metadata);
    expect(applyResume(after, m)).toMatchObject({ ok: true, changed: false });
  });
});

describe('compressed nodes', () => {
  it('reads the form Argo writes (base64 of gzip of the node map)', () => {
    // From argo-workflows workflow/hydrator/hydrator_test.go, produced by Argo's CompressEncodeString.
    const fromArgo =
      'H4sIAAAAAAAA/6pWSkosUrKqVspMUbJSUtJRykvMTYWwUjKLC3ISK/3gAiWVBVBWcUliUUlqimOJklVeaU6OjlJaZl5mcQZCpFZHKS0/nwbm1gICAAD//8SSRamxAAAA';
    expect(Object.keys(decompressNodes(fromArgo))).toEqual(['bar', 'foo']);
  });

  it('round-trips', () => {
    const nodes = playWorkflow({ at: 2 }).status!.nodes!;
    expect(decompressNodes(compressNodes(nodes))).toEqual(nodes);
  });

  it.each([
    ['not gzip', Buffer.from('hello').toString('base64')],
    ['gzip of a list', compressNodes([] as never)],
  ])('throws on %s', (_name, text) => {
    expect(() => decompressNodes(text)).toThrow();
  });
});
