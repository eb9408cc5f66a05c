// What one tenant can write into its own namespace to exhaust an operator it shares with others.
// A Workflow's status has no subresource, so whoever creates the workflow writes it; labelled for
// another controller instance, Argo's controller leaves it exactly as written. Used by the
// hostile profile of the benchmark and by test/integration/hostile-tenant.test.ts.
import { gzipSync } from 'node:zlib';
import type { Workflow, WorkflowNode } from '../src/api/workflow.js';

/** Argo's controller ignores workflows of another instance: the status stays the tenant's. */
const OTHER_CONTROLLER = { 'workflows.argoproj.io/controller-instanceid': 'elsewhere' };

function written(namespace: string, name: string, status: Workflow['status']): Workflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      namespace,
      labels: {
        'workflow-type': 'play-orchestration',
        'task-id': name,
        'current-stage': 'waiting-pr-created',
        ...OTHER_CONTROLLER,
      },
    },
    spec: { entrypoint: 'play', templates: [{ name: 'play', suspend: {} }] },
    status,
  };
}

/** gzip of the long part of a bomb, made once per size: gzip members may follow one another. */
const messages = new Map<number, Buffer>();

/**
 * base64(gzip) of a node map with one waiting Suspend node whose message is `inflatedBytes` long,
 * as three gzip members (before, inside and after the message), which every gunzip reads as one.
 */
function bombNodes(id: string, inflatedBytes: number): string {
  let message = messages.get(inflatedBytes);
  if (message === undefined) {
    message = gzipSync('x'.repeat(inflatedBytes), { level: 9 });
    messages.set(inflatedBytes, message);
  }
  const node = {
    id,
    name: id,
    displayName: 'wait-pr-created',
    templateName: 'wait-pr-created',
    type: 'Suspend',
    phase: 'Running',
    startedAt: '2026-01-01T00:00:00Z',
  };
  const before = `${JSON.stringify({ [id]: node }).slice(0, -2)},"message":"`;
  return Buffer.concat([gzipSync(before), message, gzipSync('"}}')]).toString('base64');
}

/**
 * About 21 KB in etcd (task id = name), waiting at its first stage: status.compressedNodes inflates to one Suspend
 * node whose message is `inflatedBytes` long (15 MiB by default, under --max-node-status-bytes).
 */
export function nodeStatusBomb(namespace: string, name: string, inflatedBytes = 15 << 20): Workflow {
  return written(namespace, name, {
    phase: 'Running',
    compressedNodes: bombNodes(`${name}-1`, inflatedBytes),
  });
}

/** A workflow (task id = name) with `nodes` waiting Suspend nodes, each with a kilobyte message and parameters. */
export function heavyWorkflow(namespace: string, name: string, nodes = 200): Workflow {
  const map: Record<string, WorkflowNode> = {};
  for (let i = 0; i < nodes; i++) {
    const id = `${name}-${i}`;
    map[id] = {
      id,
      name: `${name}[${i}].wait`,
      displayName: `wait-${i}`,
      type: 'Suspend',
      phase: 'Running',
      message: 'm'.repeat(1000),
      inputs: { parameters: [{ name: 'note', value: 'n'.repeat(500) }] },
    };
  }
  return written(namespace, name, { phase: 'Running', nodes: map });
}
