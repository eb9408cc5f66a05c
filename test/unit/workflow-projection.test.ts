// What the workflow cache keeps, and the workflows it refuses: a status anyone who can write the
// Workflow controls must never reach a decision unchecked.
import { gzipSync } from 'node:zlib';
import type { Workflow } from '../../src/api/workflow.js';
import { NODE_OUTPUTS_MAX, NODE_TEXT_MAX } from '../../src/controller/suspend-node-projection.js';
import { projectWorkflow, SkipReason } from '../../src/controller/workflow-projection.js';
import { compressNodes } from '../../src/domain/compressed-nodes.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { RateBudget } from '../../src/runtime/rate-budget.js';
import { UnreadableObject } from '../../src/runtime/reflector.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const limits = { maxNodes: 100, maxInflatedBytes: 64 * 1024, maxBytes: 256 * 1024 };
const project = (workflow: Workflow) => projectWorkflow(workflow, defaultDomainConfig, limits);

function compressed(nodes: unknown): Workflow {
  const workflow = playWorkflow({ at: 1 });
  workflow.status = {
    phase: 'Running',
    compressedNodes: gzipSync(JSON.stringify(nodes)).toString('base64'),
  };
  return workflow;
}

function refusal(workflow: Workflow): string | undefined {
  try {
    project(workflow);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UnreadableObject);
    return (error as UnreadableObject).reason;
  }
}

describe('projectWorkflow', () => {
  it('keeps only the Suspend nodes, inline or compressed, and no other status', () => {
    const workflow = playWorkflow({ at: 1 });
    const inline = project(workflow);
    const suspend = Object.values(workflow.status!.nodes!)
      .filter((node) => node.type === 'Suspend')
      .map(({ templateScope: _scope, ...kept }) => kept);
    expect(Object.values(inline.status!.nodes!)).toEqual(suspend);
    const packed = structuredClone(workflow);
    packed.status = { phase: 'Running', compressedNodes: compressNodes(workflow.status!.nodes!) };
    expect(project(packed).status).toEqual(inline.status);
  });

  it('reads a suspend node as Argo writes it, with unset times as null', () => {
    const node = {
      boundaryID: 'probe',
      displayName: 'wait-pr-created',
      finishedAt: null,
      id: 'probe-1459344516',
      name: 'probe[0].wait-pr-created',
      phase: 'Running',
      progress: '0/1',
      startedAt: '2026-11-25T14:13:32Z',
      templateName: 'wait-pr-created',
      templateScope: 'local/probe',
      type: 'Suspend',
    };
    const { finishedAt: _unset, progress: _progress, templateScope: _scope, ...kept } = node;
    expect(project(compressed({ [node.id]: node })).status?.nodes).toEqual({ [node.id]: kept });
  });

  it('keeps a parameter value of any length: cut where it is only compared, whole where a resume writes it', () => {
    const long = 'v'.repeat(10_000);
    const workflow = playWorkflow({
      at: 2,
      approvalOutputs: [{ name: 'approver', valueFrom: { supplied: {}, default: long } }],
    });
    const node = Object.values(workflow.status!.nodes!).find((n) => n.displayName === 'wait-pr-approved')!;
    node.inputs = { parameters: [{ name: 'note', value: long }] };
    const copy = project(workflow);
    const kept = copy.status!.nodes![node.id]!;
    expect(kept.inputs?.parameters?.[0]?.value).toBe(`${'v'.repeat(NODE_TEXT_MAX)}…`);
    expect(kept.outputs).toEqual(node.outputs);
    expect(copy.projection?.clippedNodes).toBeUndefined();
  });

  it('cuts a long message and outputs too large to keep, and marks the node so no resume is built from it', () => {
    const workflow = playWorkflow({
      at: 2,
      approvalOutputs: [
        { name: 'approver', valueFrom: { supplied: {}, default: 'x'.repeat(NODE_OUTPUTS_MAX) } },
      ],
    });
    const nodes = Object.values(workflow.status!.nodes!);
    const first = nodes.find((n) => n.displayName === 'wait-pr-created')!;
    first.message = '😀'.repeat(1 << 20);
    first.extra = { anything: 'y'.repeat(1 << 20) };
    const last = nodes.find((n) => n.displayName === 'wait-pr-approved')!;
    const copy = project(workflow);
    expect(copy.status!.nodes![first.id]!.message).toBe(`${'😀'.repeat(NODE_TEXT_MAX)}…`);
    expect(copy.status!.nodes![first.id]!.extra).toBeUndefined();
    expect(copy.status!.nodes![last.id]!.outputs).toBeUndefined();
    expect(copy.projection?.clippedNodes?.sort()).toEqual([first.id, last.id].sort());
    expect(copy.projection!.bytes).toBeLessThan(8 * 1024);
    expect(copy.projection!.bytes).toBeGreaterThanOrEqual(JSON.stringify(copy.status!.nodes).length);
  });

  it('refuses a copy heavier than one workflow may be', () => {
    const workflow = playWorkflow({ at: 1 });
    workflow.metadata.labels = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`label-${i}`, 'v'.repeat(63)]),
    );
    expect(refusal(workflow)).toBe(SkipReason.CacheBudgetExceeded);
    const parameters = Array.from({ length: 64 }, (_, i) => ({ name: `p${i}`, value: 'v'.repeat(2000) }));
    const heavy = playWorkflow({ at: 0 });
    heavy.status!.nodes = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [
        `n${i}`,
        { id: `n${i}`, name: `n${i}`, type: 'Suspend', inputs: { parameters } },
      ]),
    );
    expect(refusal(heavy)).toBe(SkipReason.CacheBudgetExceeded);
  });

  it('does not inflate a compressed node map again when only the metadata changed', () => {
    const workflow = compressed(playWorkflow({ at: 1 }).status!.nodes);
    const first = project(workflow);
    const relabelled = structuredClone(workflow);
    relabelled.metadata.labels = { ...relabelled.metadata.labels, relabel: '1' };
    relabelled.metadata.resourceVersion = '1235';
    const second = projectWorkflow(relabelled, defaultDomainConfig, limits, first);
    expect(second.status!.nodes).toBe(first.status!.nodes);
    expect(second.nodesWereCompressed).toBe(true);
    expect(second.metadata.labels?.relabel).toBe('1');
    expect(second.projection!.bytes).toBeGreaterThan(first.projection!.bytes);
    const changed = structuredClone(relabelled);
    changed.status!.compressedNodes = compressNodes({});
    expect(projectWorkflow(changed, defaultDomainConfig, limits, second).status!.nodes).toEqual({});
  });

  it("holds each namespace's inflation of compressed node maps to a budget that refills with time", () => {
    let now = 0;
    const inflation = new RateBudget({ capacity: 100, periodMs: 60_000 }, { now: () => now });
    const withBudget = { ...limits, inflation };
    const packed = (namespace: string) => {
      const workflow = compressed(playWorkflow({ at: 1 }).status!.nodes);
      workflow.metadata.namespace = namespace;
      return workflow;
    };
    const first = projectWorkflow(packed('a'), defaultDomainConfig, withBudget);
    // The one node map inflated to more than the whole budget: nothing is left for now.
    let refused: unknown;
    try {
      projectWorkflow(packed('a'), defaultDomainConfig, withBudget);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(UnreadableObject);
    expect((refused as UnreadableObject).reason).toBe(SkipReason.InflationBudgetExceeded);
    expect((refused as UnreadableObject).passing).toBe(true);
    // Another namespace has its own; the same map again under the same version costs nothing.
    expect(projectWorkflow(packed('b'), defaultDomainConfig, withBudget).status?.nodes).toBeDefined();
    const relabelled = packed('a');
    expect(projectWorkflow(relabelled, defaultDomainConfig, withBudget, first).status?.nodes).toBe(
      first.status?.nodes,
    );
    now += 10 * 60_000;
    expect(projectWorkflow(packed('a'), defaultDomainConfig, withBudget).status?.nodes).toBeDefined();
  });

  it('keeps no nodes for an offloaded workflow: the decision reports it or reads it through argo-server', () => {
    const workflow = playWorkflow({ at: 1 });
    workflow.status = { phase: 'Running', offloadNodeStatusVersion: 'fnv:1' };
    expect(project(workflow).status).toEqual({ phase: 'Running', offloadNodeStatusVersion: 'fnv:1' });
  });

  it.each([
    ['a null node', { a: null }, SkipReason.InvalidNodeStatus],
    ['a node that is a string', { a: 'node' }, SkipReason.InvalidNodeStatus],
    ['nodes as a list', [{ id: 'a', type: 'Suspend' }], SkipReason.InvalidCompressedNodes],
    ['JSON null', null, SkipReason.InvalidCompressedNodes],
    ['a node without a type', { a: { id: 'a', name: 'a' } }, SkipReason.InvalidNodeStatus],
    [
      'a suspend node with a numeric display name',
      { a: { id: 'a', name: 'a', type: 'Suspend', displayName: 5 } },
      SkipReason.InvalidNodeStatus,
    ],
    [
      'a suspend node whose parameters are not a list',
      { a: { id: 'a', name: 'a', type: 'Suspend', outputs: { parameters: 'x' } } },
      SkipReason.InvalidNodeStatus,
    ],
    [
      'a suspend node whose id is not its key',
      { a: { id: 'b', name: 'a', type: 'Suspend' } },
      SkipReason.InvalidNodeStatus,
    ],
  ])('refuses compressed nodes holding %s', (_name, nodes, reason) => {
    expect(refusal(compressed(nodes))).toBe(reason);
  });

  it('refuses compressed data that is not gzip, and inline nodes that are not objects', () => {
    const workflow = playWorkflow({ at: 1 });
    workflow.status = { phase: 'Running', compressedNodes: Buffer.from('not gzip').toString('base64') };
    expect(refusal(workflow)).toBe(SkipReason.InvalidCompressedNodes);
    const inline = playWorkflow({ at: 1 });
    (inline.status!.nodes as Record<string, unknown>)['x'] = null;
    expect(refusal(inline)).toBe(SkipReason.InvalidNodeStatus);
  });

  it('refuses node maps over the node limit or that inflate past the byte limit', () => {
    const many = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`n${i}`, { id: `n${i}`, name: `n${i}`, type: 'Pod' }]),
    );
    expect(refusal(compressed(many))).toBe(SkipReason.NodeStatusTooLarge);
    const big = { a: { id: 'a', name: 'a', type: 'Pod', message: 'x'.repeat(100 * 1024) } };
    expect(refusal(compressed(big))).toBe(SkipReason.NodeStatusTooLarge);
  });
});
