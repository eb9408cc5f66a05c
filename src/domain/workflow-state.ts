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
  /** The stage's node waits, but the event is older than the end of the stage's previous visit. */
  | { kind: 'predatesVisit'; node: WorkflowNode; previousEnd: string; occurred: string }
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

/**
 * Whether GitHub's time `event` is older than the cluster's time `reference` by more than the
 * clock skew the configuration tolerates. Unreadable times are never older.
 */
export function isOlder(event: string, reference: string, config: DomainConfig): boolean {
  const [x, y] = [Date.parse(event), Date.parse(reference)];
  return Number.isFinite(x) && Number.isFinite(y) && x + config.clockSkewSeconds * 1000 < y;
}

const parsed = (time: string | undefined) => Date.parse(time ?? '');

/**
 * When the stage's visit before `node` ended: the latest end (or start) of the stage's nodes
 * that started before it. Undefined on a first visit. An event of that visit, delivered late,
 * is older than this and must not resume the next one.
 */
export function previousVisitEnd(targets: readonly WorkflowNode[], node: WorkflowNode): string | undefined {
  const started = parsed(node.startedAt);
  let end: string | undefined;
  for (const other of targets) {
    if (other.id === node.id || isActiveSuspendNode(other) || !(parsed(other.startedAt) < started)) continue;
    const otherEnd = other.finishedAt ?? other.startedAt;
    if (end === undefined || parsed(otherEnd) > parsed(end)) end = otherEnd;
  }
  return end;
}

/** The stage's nodes in a workflow (or those matching the request's node field selector), latest visit first. */
export function stageNodes(nodes: readonly WorkflowNode[], resolved: ResolvedRequest): WorkflowNode[] {
  return nodes
    .filter((node) =>
      resolved.nodeSelector
        ? node.type === 'Suspend' && matchesNodeFieldSelector(resolved.nodeSelector, node)
        : isStageNode(node, resolved.suspendNode),
    )
    .sort(byStartDescending);
}

export function workflowState(
  workflow: Workflow,
  { resolved, config, markerKey, markerValue }: StateInput,
): WorkflowState {
  const nodesRead = readNodes(workflow);
  const nodes = nodesRead.ok ? Object.values(nodesRead.nodes) : [];
  const targets = stageNodes(nodes, resolved);

  if (workflow.metadata.annotations?.[markerKey] === markerValue) {
    return { kind: 'resumedByThis', node: targets.find((node) => node.phase === 'Succeeded') };
  }
  const phase = workflow.status?.phase ?? '';
  if (COMPLETED_WORKFLOW_PHASES.has(phase)) return { kind: 'completed', phase };
  if (workflow.spec?.shutdown) return { kind: 'shuttingDown', strategy: workflow.spec.shutdown };
  const occurred = resolved.spec.github?.occurredAt;
  const created = workflow.metadata.creationTimestamp;
  if (occurred && created && isOlder(occurred, created, config))
    return { kind: 'predates', created, occurred };

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
    const previousEnd = previousVisitEnd(targets, active);
    if (occurred && previousEnd && isOlder(occurred, previousEnd, config))
      return { kind: 'predatesVisit', node: active, previousEnd, occurred };
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
