// Heap held per cached object: ResumeRequests as the Sensor creates them (with managed fields
// and a webhook payload) and play Workflows as the Argo controller writes them (with pod nodes
// beside the suspend nodes), each passed through the cache's projection. Prints one JSON line.
// Run with `node --expose-gc dist/bench/cache-memory.js` after `make build`.
import { projectRequest } from '../src/controller/request-projection.js';
import { projectWorkflow } from '../src/controller/workflow-projection.js';
import { defaultDomainConfig } from '../src/domain/config.js';
import type { Workflow, WorkflowNode } from '../src/api/workflow.js';

const COUNT = 2000;
const POD_NODES = 50;

function requestAsStored(i: number): unknown {
  return {
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: {
      name: `gh-72d3162e-cc78-11e3-81ab-${String(i).padStart(12, '0')}`,
      namespace: 'team-a',
      uid: `0b5c6a1e-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100_000 + i),
      generation: 1,
      creationTimestamp: '2026-11-25T10:00:00Z',
      labels: { 'events.argoproj.io/sensor': 'github', 'events.argoproj.io/trigger': 'resume-request' },
      managedFields: [
        { manager: 'argo-events', operation: 'Update', fieldsV1: { 'f:spec': { 'f:github': {} } } },
        { manager: 'workflow-resume-operator', operation: 'Update', subresource: 'status', fieldsV1: {} },
      ],
    },
    spec: {
      repository: 'acme-org/widgets',
      prNumber: i,
      github: {
        deliveryId: `72d3162e-cc78-11e3-81ab-${String(i).padStart(12, '0')}`,
        event: 'pull_request_review',
        action: 'submitted',
        reviewState: 'approved',
        headRef: `feature/task-${i}-login`,
        labels: [`task-${i}`, 'ready-for-qa'],
        title: 'Implement the login page',
        occurredAt: '2026-11-25T10:00:00Z',
        sender: 'octocat',
      },
      eventPayload: { 'pull_request.body': 'x'.repeat(1000), 'pull_request.number': String(i) },
    },
    status: {
      phase: 'Succeeded',
      reason: 'Resumed',
      message: `resumed wait-pr-approved of workflow play-${i}`,
      taskId: String(i),
      eventType: 'pr-approved',
      workflowName: `play-${i}`,
      resumedNode: `play-${i}[4].wait-pr-approved`,
      attempts: 1,
      startTime: '2026-11-25T10:00:00Z',
      completionTime: '2026-11-25T10:00:01Z',
      observedGeneration: 1,
    },
  };
}

function workflowAsStored(i: number): Workflow {
  const name = `play-${i}`;
  const nodes: Record<string, WorkflowNode> = {};
  for (let n = 0; n < POD_NODES + 3; n++) {
    const id = `${name}-${1_000_000 + n}`;
    const suspend = n >= POD_NODES;
    nodes[id] = {
      id,
      name: `${name}[${n}].${suspend ? `wait-${n}` : `agent-${n}`}`,
      displayName: suspend ? `wait-${n}` : `agent-${n}`,
      type: suspend ? 'Suspend' : 'Pod',
      templateName: suspend ? `wait-${n}` : 'agent',
      phase: n === POD_NODES + 2 ? 'Running' : 'Succeeded',
      boundaryID: name,
      startedAt: '2026-11-25T09:00:00Z',
      finishedAt: '2026-11-25T09:10:00Z',
      ...(suspend ? {} : { outputs: { parameters: [{ name: 'result', value: 'y'.repeat(200) }] } }),
    } as WorkflowNode;
  }
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `1c5c6a1e-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(200_000 + i),
      creationTimestamp: '2026-11-25T09:00:00Z',
      labels: {
        'workflow-type': 'play-orchestration',
        'task-id': String(i),
        'current-stage': 'waiting-pr-approved',
        repository: 'acme-org.widgets',
      },
    },
    spec: { entrypoint: 'play' },
    status: { phase: 'Running', startedAt: '2026-11-25T09:00:00Z', nodes },
  };
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per object kept, each parsed from its own JSON text as a watch would deliver it. */
function bytesPerObject(make: (i: number) => unknown, project: (raw: unknown) => unknown): number {
  const texts = Array.from({ length: COUNT }, (_, i) => JSON.stringify(make(i)));
  const before = heapUsed();
  const kept = texts.map((text) => project(JSON.parse(text)));
  const after = heapUsed();
  if (kept.length !== COUNT) throw new Error('lost objects');
  return Math.round((after - before) / COUNT);
}

const projectionLimits = { maxNodes: 10_000, maxInflatedBytes: 16 << 20, maxBytes: 16 << 20 };
/** What one play workflow is charged against the cache's byte budget (--max-cached-workflow-bytes). */
const budgetBytesPerWorkflow = projectWorkflow(workflowAsStored(0), defaultDomainConfig, projectionLimits)
  .projection!.bytes;
const bytesPerWorkflow = bytesPerObject(workflowAsStored, (raw) =>
  projectWorkflow(raw as Workflow, defaultDomainConfig, projectionLimits),
);

const report = {
  objects: COUNT,
  pod_nodes_per_workflow: POD_NODES,
  bytes_per_request: bytesPerObject(requestAsStored, projectRequest),
  bytes_per_request_unprojected: bytesPerObject(requestAsStored, (raw) => raw),
  bytes_per_workflow: bytesPerWorkflow,
  budget_bytes_per_workflow: budgetBytesPerWorkflow,
  heap_per_budget_byte: Math.round((bytesPerWorkflow / budgetBytesPerWorkflow) * 100) / 100,
  bytes_per_workflow_unprojected: bytesPerObject(workflowAsStored, (raw) => raw),
};
console.log(JSON.stringify(report));
