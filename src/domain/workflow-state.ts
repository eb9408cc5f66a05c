// Where one candidate workflow stands relative to the stage a request wants to resume: the
// per-workflow half of the decision. decide.ts weighs the candidates against each other.
import type { Workflow, WorkflowNode } from '../api/workflow.js';
import { COMPLETED_WORKFLOW_PHASES, isActiveSuspendNode, nodeTitle } from '../api/workflow.js';
import { readNodes } from './compressed-nodes.js';
import { stageIndex, type DomainConfig } from './config.js';
import type { ResolvedRequest } from './correlate.js';
import { matchesNodeFieldSelector, templateOf } from './node-field-selector.js';
import type { Reason } from './reasons.js';

export type WorkflowState =
  /** The marker annotation says this very request resumed the stage. */
  | { kind: 'resumedByThis'; node?: WorkflowNode }
  | { kind: 'ready'; node: WorkflowNode }
  /** The stage's suspend node is waiting but the current-stage label names another stage. */
  | { kind: 'mismatch'; labelStage: string; node: WorkflowNode }
  | { kind: 'early'; detail: string }
  /** At the stage, but nothing matches spec.nodeFieldSelector. */
  | { kind: 'noMatchingNode' }
  | { kind: 'passed'; detail: string; node?: WorkflowNode }
  | { kind: 'completed'; phase: string }
  | { kind: 'shuttingDown'; strategy: string }
  | { kind: 'predates'; created: string; occurred: string }
  | { kind: 'unreadable'; reason: Reason; message: string };

export interface StateInput {
  resolved: ResolvedRequest;
  config: DomainConfig;
  /** `namespace/name` of the request, as written in the marker annotation. */
  markerValue: string;
  markerKey: string;
}

/** True when the node is the stage's suspend node by display or template name. */
function isStageNode(node: WorkflowNode, suspendNode: string): boolean {
  return node.type === 'Suspend' && (node.displayName === suspendNode || templateOf(node) === suspendNode);
}

/** The stages whose suspend nodes are waiting, as far as the stage map can tell. */
function activeStages(nodes: readonly WorkflowNode[], config: DomainConfig): string[] {
  return config.stages
    .filter((stage) =>
      nodes.some((node) => isActiveSuspendNode(node) && isStageNode(node, stage.suspendNode)),
    )
    .map((stage) => stage.stage);
}

/** Newest first, so a stage entered again (a loop) resumes its latest visit. */
function byStartDescending(a: WorkflowNode, b: WorkflowNode): number {
  return (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || a.id.localeCompare(b.id);
}

function isBefore(a: string, b: string): boolean {
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return Number.isFinite(x) && Number.isFinite(y) && x < y;
}

export function workflowState(
  workflow: Workflow,
  { resolved, config, markerKey, markerValue }: StateInput,
): WorkflowState {
  const nodesRead = readNodes(workflow);
  const nodes = nodesRead.ok ? Object.values(nodesRead.nodes) : [];
  const targets = nodes
    .filter((node) =>
      resolved.nodeSelector
        ? node.type === 'Suspend' && matchesNodeFieldSelector(resolved.nodeSelector, node)
        : isStageNode(node, resolved.suspendNode),
    )
    .sort(byStartDescending);

  if (workflow.metadata.annotations?.[markerKey] === markerValue) {
    return { kind: 'resumedByThis', node: targets.find((node) => node.phase === 'Succeeded') };
  }
  const phase = workflow.status?.phase ?? '';
  if (COMPLETED_WORKFLOW_PHASES.has(phase)) return { kind: 'completed', phase };
  if (workflow.spec?.shutdown) return { kind: 'shuttingDown', strategy: workflow.spec.shutdown };
  const occurred = resolved.spec.github?.occurredAt;
  const created = workflow.metadata.creationTimestamp;
  if (occurred && created && isBefore(occurred, created)) return { kind: 'predates', created, occurred };

  const target = stageIndex(config, resolved.stage);
  const labelStage = workflow.metadata.labels?.[config.labels.currentStage];
  const labelIndex = labelStage === undefined ? -1 : stageIndex(config, labelStage);
  if (!nodesRead.ok) {
    if (labelIndex !== -1 && labelIndex < target)
      return { kind: 'early', detail: `it is at stage ${labelStage}` };
    return { kind: 'unreadable', reason: nodesRead.reason, message: nodesRead.message };
  }

  const active = targets.find(isActiveSuspendNode);
  if (active) {
    if (labelStage !== undefined && labelStage !== resolved.stage)
      return { kind: 'mismatch', labelStage, node: active };
    return { kind: 'ready', node: active };
  }
  const done = targets.find((node) => node.phase === 'Succeeded');
  if (done)
    return {
      kind: 'passed',
      detail: `its node ${nodeTitle(done)} has already succeeded`,
      node: done,
    };
  const inferred = activeStages(nodes, config);
  const current = labelStage ?? (inferred.length === 1 ? inferred[0] : undefined);
  const currentIndex = current === undefined ? -1 : stageIndex(config, current);
  if (currentIndex > target) return { kind: 'passed', detail: `it is already at the later stage ${current}` };
  if (resolved.nodeSelector && currentIndex === target) return { kind: 'noMatchingNode' };
  if (currentIndex === target) {
    return {
      kind: 'early',
      detail: `it is labelled ${current} but its ${resolved.suspendNode} node is not waiting yet`,
    };
  }
  return {
    kind: 'early',
    detail: current === undefined ? 'it is not waiting at any stage' : `it is at stage ${current}`,
  };
}
