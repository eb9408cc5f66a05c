// The write that resumes one suspend node, with the effect of Argo's util.ResumeWorkflow /
// updateSuspendedNode on that node: supplied output parameters set (global ones copied to
// status.outputs), the rest filled from their defaults, the node Succeeded with finishedAt and a
// message, spec.suspend cleared (unless the mutation keeps it). The result is a whole object for
// an Update whose metadata.resourceVersion is the precondition; a compressed node map is
// rewritten whole.
import type { Workflow, WorkflowNode, WorkflowParameter } from '../api/workflow.js';
import { isActiveSuspendNode, nodeTitle } from '../api/workflow.js';
import { compressNodes, MAX_INFLATED_BYTES, readNodes } from './compressed-nodes.js';
import { defaultDomainConfig } from './config.js';
import { Reason } from './reasons.js';

export interface ResumeMutation {
  nodeId: string;
  /** Values for the node's supplied (`valueFrom.supplied`) output parameters. */
  parameters?: Readonly<Record<string, string>>;
  /** Annotation written in the same update, naming the request that resumed this stage. */
  markerKey: string;
  markerValue: string;
  /** More annotations written in the same update (the play's pull request, a gate's approvals). */
  annotations?: Readonly<Record<string, string>>;
  /**
   * Leaves spec.suspend as it is, as Argo does when it resumes selected nodes: a workflow-wide
   * `argo suspend` then holds until someone resumes the workflow.
   */
  keepWorkflowSuspended?: boolean;
  /** Becomes the node's message, after any message the node already had (as Argo does). */
  message: string;
  now: Date;
}

export type MutationResult =
  | { ok: true; workflow: Workflow; changed: boolean }
  | { ok: false; reason: Reason; message: string };

/** `resume.workflows.dev/<stage>`: whose resume of that stage this workflow has recorded. */
export function markerKeyFor(stage: string, prefix = defaultDomainConfig.markerAnnotationPrefix): string {
  return `${prefix}${stage}`;
}

/**
 * `<namespace>/<name>/<uid>`: the request, and which one of that name. A request deleted and
 * created again under its name (a GitOps tool applying a manifest kept in Git for the task's next
 * run) is another request, and does not take the earlier one's resume for its own.
 */
export function markerValueFor(request: {
  metadata: { namespace?: string; name?: string; uid?: string };
}): string {
  const { namespace, name, uid } = request.metadata;
  return `${namespace}/${name}${uid === undefined ? '' : `/${uid}`}`;
}

/** The `namespace/name` a marker value names (markers of earlier versions hold only that). */
export function markedRequest(markerValue: string): string {
  return markerValue.split('/').slice(0, 2).join('/');
}

/** Kubernetes' metav1.Time: RFC 3339 in UTC with whole seconds. */
function kubernetesTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Failure = { reason: Reason; message: string };

function setGlobalParameter(workflow: Workflow, globalName: string, value: string | undefined): void {
  const status = (workflow.status ??= {});
  const outputs = (status.outputs ??= {});
  const parameters = (outputs.parameters ??= []);
  const existing = parameters.find((p) => p.name === globalName);
  if (!existing) parameters.push({ name: globalName, ...(value === undefined ? {} : { value }) });
  else if (existing.value === undefined || (value !== undefined && existing.value !== value))
    existing.value = value;
}

/** updateSuspendedNode's handling of supplied values, message for message. */
function supplyParameters(
  workflow: Workflow,
  node: WorkflowNode,
  supplied: Readonly<Record<string, string>>,
): Failure | undefined {
  const names = Object.keys(supplied).sort();
  if (names.length === 0) return undefined;
  const parameters = node.outputs?.parameters;
  if (!parameters) {
    return {
      reason: Reason.UnexpectedParameter,
      message: 'cannot set output parameters because node is not expecting any raw parameters',
    };
  }
  for (const name of names) {
    const parameter = parameters.find((p) => p.name === name);
    if (!parameter) {
      return {
        reason: Reason.UnexpectedParameter,
        message: `node is not expecting output parameter '${name}'`,
      };
    }
    if (!parameter.valueFrom?.supplied) {
      return {
        reason: Reason.UnexpectedParameter,
        message: `cannot set output parameter '${name}' because it does not use valueFrom.raw or it was already set`,
      };
    }
    parameter.value = supplied[name];
    delete parameter.valueFrom;
    if (parameter.globalName) setGlobalParameter(workflow, parameter.globalName, parameter.value);
  }
  return undefined;
}

/** OverrideOutputParametersWithDefault: what was not supplied takes its default, or fails. */
function fillDefaults(parameters: WorkflowParameter[] | undefined): Failure | undefined {
  for (const parameter of parameters ?? []) {
    if (!parameter.valueFrom?.supplied) continue;
    if (parameter.valueFrom.default === undefined) {
      return {
        reason: Reason.MissingParameterValue,
        message: `raw output parameter '${parameter.name}' has not been set and does not have a default value`,
      };
    }
    parameter.value = parameter.valueFrom.default;
    delete parameter.valueFrom;
  }
  return undefined;
}

/**
 * Resumes one node. Pure: the input is not modified. Applying it to its own result changes
 * nothing (`changed: false`), so a retried write after a lost response is harmless.
 */
export function applyResume(
  workflow: Workflow,
  mutation: ResumeMutation,
  maxInflatedBytes: number = MAX_INFLATED_BYTES,
): MutationResult {
  const read = readNodes(workflow, maxInflatedBytes);
  if (!read.ok) return { ok: false, reason: read.reason, message: read.message };
  const name = workflow.metadata.name;
  const current = read.nodes[mutation.nodeId];
  if (!current || current.type !== 'Suspend') {
    return {
      ok: false,
      reason: Reason.NoMatchingNode,
      message: `workflow ${name} has no suspend node with id ${mutation.nodeId}`,
    };
  }
  const marker = workflow.metadata.annotations?.[mutation.markerKey];
  if (!isActiveSuspendNode(current)) {
    if (current.phase === 'Succeeded' && marker === mutation.markerValue) {
      return { ok: true, workflow: structuredClone(workflow), changed: false };
    }
    return {
      ok: false,
      reason: Reason.AlreadyResumed,
      message: `node ${nodeTitle(current)} of workflow ${name} is ${current.phase ?? 'without a phase'}, not waiting`,
    };
  }

  const next = structuredClone(workflow);
  // A decompressed map is already a private copy; an inline one is the clone's.
  const nodes = read.compressed ? read.nodes : next.status!.nodes!;
  const node = nodes[mutation.nodeId]!;
  const failure =
    supplyParameters(next, node, mutation.parameters ?? {}) ?? fillDefaults(node.outputs?.parameters);
  if (failure) return { ok: false, ...failure };

  node.phase = 'Succeeded';
  node.finishedAt = kubernetesTime(mutation.now);
  node.message = node.message ? `${node.message}; ${mutation.message}` : mutation.message;
  if (next.spec?.suspend === true && !mutation.keepWorkflowSuspended) delete next.spec.suspend;
  next.metadata.annotations = {
    ...next.metadata.annotations,
    ...mutation.annotations,
    [mutation.markerKey]: mutation.markerValue,
  };
  if (read.compressed) {
    next.status!.compressedNodes = compressNodes(nodes);
    delete next.status!.nodes;
  }
  return { ok: true, workflow: next, changed: true };
}
