// What the workflow cache keeps, and the workflows it refuses: a status anyone who can write the
// Workflow controls must never reach a decision unchecked.
import { gzipSync } from 'node:zlib';
import type { Workflow } from '../../src/api/workflow.js';
import { projectWorkflow, SkipReason } from '../../src/controller/workflow-projection.js';
import { compressNodes } from '../../src/domain/compressed-nodes.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { UnreadableObject } from '../../src/runtime/reflector.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const limits = { maxNodes: 100, maxInflatedBytes: 64 * 1024 };
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
    const suspend = Object.values(workflow.status!.nodes!).filter((node) => node.type === 'Suspend');
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
    expect(project(compressed({ [node.id]: node })).status?.nodes).toEqual({ [node.id]: node });
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
