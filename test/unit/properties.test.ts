// Properties over random and hostile input: resolving never throws and never selects beyond one
// task; the resume mutation is idempotent and touches one node; decisions are deterministic.
import fc from 'fast-check';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { compressNodes, readNodes } from '../../src/domain/compressed-nodes.js';
import { resolveRequest, workflowFieldSelector, workflowLabelSelector } from '../../src/domain/correlate.js';
import { candidateWorkflows, newestFirst } from '../../src/domain/candidates.js';
import { repositoryRefusal } from '../../src/domain/trust-policy.js';
import { decide } from '../../src/domain/decide.js';
import { parseLabelSelector } from '../../src/domain/label-selector.js';
import { isOutcome } from '../../src/domain/outcome.js';
import { applyResume, type ResumeMutation } from '../../src/domain/resume-mutation.js';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import type { Workflow, WorkflowNode } from '../../src/api/workflow.js';
import { nodeAt, playWorkflow } from '../fixtures/play-workflows.js';
import { NODE_TEXT_MAX } from '../../src/controller/suspend-node-projection.js';
import { projectWorkflow, SkipReason } from '../../src/controller/workflow-projection.js';
import { UnreadableObject } from '../../src/runtime/reflector.js';
import { codePointLength } from '../../src/api/text-length.js';
import { resumePatch } from '../../src/domain/resume-patch.js';

const config = defaultDomainConfig;
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom(
    '42',
    'task-42',
    'feature/task-42-x',
    'task-43',
    '1,workflow-type!=x',
    '1 in (2)',
    'task-1,task-id!=1',
    'task-1 in (2)',
    '!task-id',
    'task-id',
    'a'.repeat(64),
    'task-' + 'a'.repeat(70),
    'tâche-1',
    'task-\u0000',
    '',
    ' ',
    ')',
  ),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** Mostly plausible values, sometimes hostile ones. */
const mostly = <T>(...values: T[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: hostile });

const githubArb = fc.record(
  {
    event: mostly('pull_request', 'pull_request_review'),
    action: mostly('opened', 'labeled', 'submitted', 'closed'),
    label: maybe(mostly('ready-for-qa', 'bug')),
    labels: maybe(fc.array(mostly('task-42', 'task-43', 'bug', 'task-a.b'), { maxLength: 3 })),
    headRef: maybe(mostly('task-42-x', 'feature/task-43', 'main')),
    reviewState: maybe(mostly('approved', 'commented')),
    state: maybe(fc.constantFrom('open', 'closed')),
    occurredAt: maybe(mostly('2019-05-15T15:20:33Z')),
  },
  { requiredKeys: ['event', 'action'] },
);

const specArb = fc.oneof(
  { weight: 1, arbitrary: fc.anything() },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        taskId: mostly('42', '43'),
        eventType: mostly('pr-created', 'pr-labeled-ready', 'pr-approved'),
        github: githubArb,
        workflowName: mostly('play-42', 'play-43'),
        labelSelector: mostly('team=a', 'team in (a,b),!old', ''),
        nodeFieldSelector: mostly('displayName=wait-pr-created'),
        repository: mostly('Codertocat/Hello-World'),
      },
      { requiredKeys: [] },
    ),
  },
);

const requestArb = fc.record({
  namespace: fc.constantFrom('ci', 'other'),
  spec: specArb,
});

const asRequest = ({ namespace, spec }: { namespace: string; spec: unknown }): ResumeRequest => ({
  apiVersion: 'resume.workflows.dev/v1alpha1',
  kind: 'ResumeRequest',
  metadata: { name: 'rr', namespace, creationTimestamp: '2019-05-15T15:21:00Z' },
  spec: spec as ResumeRequest['spec'],
});

/** Workflows of several tasks and namespaces at random stages; names are unique per namespace. */
const workflowsArb = fc.uniqueArray(
  fc
    .record({
      name: fc.constantFrom('play-42', 'play-42-b', 'play-43', 'play-x', 'other'),
      namespace: fc.constantFrom('ci', 'other'),
      taskId: fc.constantFrom('42', '43', '1'),
      at: fc.integer({ min: -1, max: 3 }),
      created: fc.constantFrom('2019-05-01T09:00:00Z', '2019-05-02T09:00:00Z', '2019-05-15T15:20:34Z'),
      phase: fc.constantFrom('Running', 'Running', 'Succeeded'),
      label: fc.boolean(),
      repository: fc.constantFrom(undefined, 'codertocat.hello-world', 'someone.else'),
    })
    .map((w) =>
      playWorkflow({
        ...w,
        ...(w.label ? {} : { stageLabel: null }),
        labels: w.repository ? { repository: w.repository } : {},
      }),
    ),
  { maxLength: 5, selector: (w) => `${w.metadata.namespace}/${w.metadata.name}` },
);

/** Patterns that capture anything, so hostile ids reach the label-value check. */
const loose = {
  ...config,
  taskIdLabelPatterns: ['^task-(.+)$'],
  taskIdBranchPatterns: ['^(?:feature/)?task-(.+)$'],
};

describe('resolving any request', () => {
  it.each([
    ['the default patterns', config],
    ['loose task id patterns', loose],
  ])(
    'never throws, and selects at most one task of play workflows in its own namespace, with %s',
    (_name, config) => {
      let resolvedCount = 0;
      fc.assert(
        fc.property(requestArb, workflowsArb, (input, workflows) => {
          const request = asRequest(input);
          const result = resolveRequest(request, config);
          if (isOutcome(result)) {
            expect(['Failed', 'Ignored']).toContain(result.phase);
            return;
          }
          resolvedCount++;
          const parsed = parseLabelSelector(workflowLabelSelector(result, config));
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          const onKey = (key: string) => parsed.requirements.filter((r) => r.key === key);
          expect(onKey('workflow-type')).toEqual([
            { key: 'workflow-type', operator: 'In', values: ['play-orchestration'] },
          ]);
          if (result.taskId === undefined) {
            expect(onKey('task-id')).toEqual([]);
            expect(workflowFieldSelector(result)).toMatch(/^metadata\.name=[a-z0-9.-]+$/);
          } else {
            expect(onKey('task-id')).toEqual([{ key: 'task-id', operator: 'In', values: [result.taskId] }]);
          }
          const candidates = candidateWorkflows(request, result, workflows, config);
          for (const workflow of candidates) {
            expect(workflow.metadata.namespace).toBe(input.namespace);
            if (result.taskId !== undefined)
              expect(workflow.metadata.labels?.['task-id']).toBe(result.taskId);
            if (result.workflowName !== undefined) expect(workflow.metadata.name).toBe(result.workflowName);
          }
        }),
        { numRuns: 2000 },
      );
      // The property means little unless a fair share of the random requests got through.
      expect(resolvedCount).toBeGreaterThan(100);
    },
  );
});

describe('deciding', () => {
  const resolvable = fc.record({
    eventType: fc.constantFrom('pr-created', 'pr-labeled-ready', 'pr-approved'),
    taskId: fc.constantFrom('42', '43'),
    occurredAt: fc.constantFrom(undefined, '2019-05-10T00:00:00Z'),
  });

  it('is deterministic: the same decision for any order of the same workflows, input untouched', () => {
    fc.assert(
      fc.property(resolvable, workflowsArb, fc.integer({ min: 0, max: 4000 }), (spec, workflows, seconds) => {
        const request = asRequest({
          namespace: 'ci',
          spec: {
            taskId: spec.taskId,
            ...(spec.occurredAt
              ? { github: { event: 'pull_request', action: 'opened', occurredAt: spec.occurredAt } }
              : {}),
            eventType: spec.eventType,
          },
        });
        const resolved = resolveRequest(request, config);
        if (isOutcome(resolved)) return;
        const now = new Date(Date.parse('2019-05-15T15:21:00Z') + seconds * 1000);
        const before = structuredClone(workflows);
        const decision = decide({ request, resolved, workflows, now, config });
        expect(workflows).toEqual(before);
        if (decision.action === 'resume') {
          const stageNode = config.stages.find((s) => s.eventType === spec.eventType)!.suspendNode;
          const chosen = candidateWorkflows(request, resolved, workflows, config).filter(
            (w) => w.metadata.name === decision.workflowName,
          );
          const target = chosen
            .map((w) => w.status?.nodes?.[decision.nodeId])
            .find((node) => node !== undefined);
          expect(target).toMatchObject({ type: 'Suspend', phase: 'Running', displayName: stageNode });
          // Never a workflow that the repository binding refuses.
          expect(chosen.filter((w) => repositoryRefusal(w, resolved, config) !== undefined)).toEqual([]);
          // Never an older run: the workflow resumed is the newest of the task's bound workflows.
          const newest = candidateWorkflows(request, resolved, workflows, config)
            .filter((w) => repositoryRefusal(w, resolved, config) === undefined)
            .sort(newestFirst)[0];
          expect(decision.workflowName).toBe(newest?.metadata.name);
        }
        expect(decide({ request, resolved, workflows: [...workflows].reverse(), now, config })).toEqual(
          decision,
        );
        expect(decide({ request, resolved, workflows: structuredClone(workflows), now, config })).toEqual(
          decision,
        );
      }),
      { numRuns: 1000 },
    );
  });
});

function nodesOf(workflow: Workflow): Record<string, WorkflowNode> {
  const read = readNodes(workflow);
  if (!read.ok) throw new Error(read.message);
  return read.nodes;
}

describe('the resume mutation', () => {
  const mutationCase = fc.record({
    at: fc.integer({ min: 0, max: 2 }),
    compressed: fc.boolean(),
    suspend: fc.constantFrom(undefined, true, false),
    approver: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    fallback: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    global: fc.boolean(),
    message: fc.string({ maxLength: 30 }),
  });

  it('is idempotent and changes nothing but the one node, the marker and spec.suspend', () => {
    fc.assert(
      fc.property(mutationCase, (c) => {
        const workflow: Workflow = playWorkflow({
          at: c.at,
          ...(c.suspend === undefined ? {} : { suspend: c.suspend }),
          approvalOutputs: [
            {
              name: 'approver',
              ...(c.global ? { globalName: 'approver' } : {}),
              valueFrom: { supplied: {}, ...(c.fallback === undefined ? {} : { default: c.fallback }) },
            },
          ],
        });
        const target = nodeAt(workflow, c.at);
        const inlineNodes = workflow.status!.nodes!;
        if (c.compressed) {
          workflow.status!.compressedNodes = compressNodes(inlineNodes);
          delete workflow.status!.nodes;
        }
        const mutation: ResumeMutation = {
          nodeId: target.id,
          parameters: c.at === 2 && c.approver !== undefined ? { approver: c.approver } : {},
          markerKey: 'resume.workflows.dev/stage',
          markerValue: 'ci/rr',
          message: c.message,
          now: new Date('2019-05-15T15:22:00Z'),
        };
        const once = applyResume(workflow, mutation);
        if (!once.ok) {
          expect(once.reason).toBe('MissingParameterValue');
          expect(c.at === 2 && c.approver === undefined && c.fallback === undefined).toBe(true);
          return;
        }
        const twice = applyResume(once.workflow, mutation);
        expect(twice).toEqual({ ok: true, workflow: once.workflow, changed: false });

        const nodes = nodesOf(once.workflow);
        expect(once.workflow.status?.compressedNodes !== undefined).toBe(c.compressed);
        expect(nodes[target.id]?.phase).toBe('Succeeded');
        const others = (all: Record<string, WorkflowNode>) =>
          Object.values(all).filter((node) => node.id !== target.id);
        expect(others(nodes)).toEqual(others(inlineNodes));
        expect(once.workflow.metadata).toEqual({
          ...workflow.metadata,
          annotations: { 'resume.workflows.dev/stage': 'ci/rr' },
        });
        expect(once.workflow.spec?.suspend).toBe(c.suspend === true ? undefined : c.suspend);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the workflow cache projection', () => {
  /** Text as Argo may hold it: any length, astral-plane and control characters included. */
  const anyText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 500, max: 5000 }).map((n) => '😀'.repeat(n)),
  );
  const parametersArb = fc.array(
    fc.record({ name: anyText, value: fc.option(anyText, { nil: undefined }) }, { requiredKeys: ['name'] }),
    { maxLength: 80 },
  );
  const nodeArb = fc.record(
    {
      displayName: anyText,
      templateName: anyText,
      phase: fc.constantFrom('Running', 'Succeeded', 'Failed'),
      message: anyText,
      startedAt: fc.constantFrom('2019-05-01T09:01:00Z', null),
      templateRef: fc.record({ name: anyText, template: anyText }, { requiredKeys: [] }),
      inputs: parametersArb.map((parameters) => ({ parameters })),
      outputs: parametersArb.map((parameters) => ({ parameters })),
      extra: anyText,
    },
    { requiredKeys: [] },
  );
  const limits = { maxNodes: 1000, maxInflatedBytes: 16 << 20, maxBytes: 256 << 10 };

  it('keeps every node of any text length, bounded, within the weight it reports, or skips it for weight alone', () => {
    let kept = 0;
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (nodes, packed) => {
        const workflow = playWorkflow({ at: 0 });
        const map = Object.fromEntries(
          nodes.map((node, i) => [`n-${i}`, { ...node, id: `n-${i}`, name: `play[${i}]`, type: 'Suspend' }]),
        );
        workflow.status = packed
          ? { phase: 'Running', compressedNodes: compressNodes(map as Record<string, WorkflowNode>) }
          : { phase: 'Running', nodes: map as Record<string, WorkflowNode> };
        let copy: Workflow;
        try {
          copy = projectWorkflow(workflow, config, limits);
        } catch (error) {
          expect(error).toBeInstanceOf(UnreadableObject);
          expect((error as UnreadableObject).reason).toBe(SkipReason.CacheBudgetExceeded);
          return;
        }
        kept++;
        expect(copy.projection!.bytes).toBeLessThanOrEqual(limits.maxBytes);
        expect(copy.projection!.bytes).toBeGreaterThanOrEqual(JSON.stringify(copy.status!.nodes).length);
        for (const node of Object.values(copy.status!.nodes!)) {
          for (const text of [node.displayName, node.templateName, node.message, node.templateRef?.name]) {
            if (text !== undefined) expect(codePointLength(text)).toBeLessThanOrEqual(NODE_TEXT_MAX + 1);
          }
          for (const parameter of node.inputs?.parameters ?? []) {
            expect(codePointLength(String(parameter.value ?? ''))).toBeLessThanOrEqual(NODE_TEXT_MAX + 1);
          }
          expect(node.extra).toBeUndefined();
          // A node the copy had to cut is never resumed from the copy.
          if (copy.projection!.clippedNodes?.includes(node.id)) {
            const patch = resumePatch(copy, {
              nodeId: node.id,
              markerKey: 'resume.workflows.dev/stage',
              markerValue: 'ci/rr',
              message: 'resumed',
              now: new Date('2019-05-15T15:22:00Z'),
            });
            expect(patch).toBeUndefined();
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(kept).toBeGreaterThan(30);
  });
});
