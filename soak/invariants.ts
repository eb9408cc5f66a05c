// The invariants, checked at the end from what the API holds (workflows and ResumeRequests)
// against what the generator knows it sent. Pure, so each rule is unit-tested. A violation
// names the task, the stage, the requests and the workflow, so the run can be replayed.
import type { ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow, WorkflowNode } from '../src/api/workflow.js';
import { readNodes } from '../src/domain/compressed-nodes.js';
import { defaultDomainConfig } from '../src/domain/config.js';
import { markerKeyFor } from '../src/domain/resume-mutation.js';
import { repositoryLabelMatches } from '../src/domain/trust-policy.js';
import { REFUSED_KINDS, STAGES, VALID_KINDS } from './histories.js';
import type { RequestRecord, RunRecord } from './ledger.js';

/** A side that does not name the repository matches any, as the operator's binding does. */
const repositoryMatches = (label: string | undefined, repository: string | undefined) =>
  label === undefined || repository === undefined || repositoryLabelMatches(label, repository);

export type ViolationKind =
  /** A stage resumed by more than one request, or one request resuming more than one stage. */
  | 'double'
  /** A valid event arrived for a stage of a task's live run, and the stage was never resumed. */
  | 'lost'
  /** A request neither final nor waiting for a reason that still holds. */
  | 'stuck'
  /** A request's status contradicts the workflow's marker (counted with stuck: it is not rightly final). */
  | 'contradiction'
  /** A stage advanced by an event that policy should have refused. */
  | 'wrongly_advanced';

export interface Violation {
  kind: ViolationKind;
  task: string;
  stage: string;
  workflow: string;
  requests: string[];
  detail: string;
}

export interface CheckInput {
  runs: ReadonlyMap<string, RunRecord>;
  /** What each request stands for, by name (see sentRequests). */
  sent: ReadonlyMap<string, RequestRecord>;
  workflows: readonly Workflow[];
  requests: readonly ResumeRequest[];
  /** Deliveries the EventSource answered with success, by delivery id. */
  answered?: ReadonlyMap<string, Omit<RequestRecord, 'deleted'>>;
}

/**
 * What each request stands for, by name: the requests the generator named itself (applied from
 * Git, or deleted by it) and every request the Sensor created, through the delivery id it
 * carries.
 */
export function sentRequests(
  named: ReadonlyMap<string, RequestRecord>,
  answered: ReadonlyMap<string, Omit<RequestRecord, 'deleted'>>,
  requests: readonly ResumeRequest[],
): Map<string, RequestRecord> {
  const sent = new Map(named);
  for (const request of requests) {
    const record = answered.get(request.spec.github?.deliveryId ?? '');
    if (record && !sent.has(request.metadata.name))
      sent.set(request.metadata.name, { ...record, deleted: false });
  }
  return sent;
}

export interface CheckResult {
  /** Stages resumed, over every run. */
  resumes: number;
  violations: Violation[];
}

const FINAL = new Set(['Succeeded', 'Ignored', 'Failed']);
const labels = defaultDomainConfig.labels;

function stageNode(workflow: Workflow | undefined, stage: number): WorkflowNode | undefined {
  if (!workflow) return undefined;
  const nodes = readNodes(workflow);
  if (!nodes.ok) return undefined;
  return Object.values(nodes.nodes).find((node) => node.displayName === STAGES[stage]!.suspendNode);
}

/** The request a workflow's marker names for a stage (the annotation holds "namespace/name/uid"). */
function markerOf(workflow: Workflow | undefined, stage: number): string | undefined {
  const value = workflow?.metadata.annotations?.[markerKeyFor(STAGES[stage]!.stage)];
  return value === undefined ? undefined : value.split('/')[1];
}

const stageOfEventType = (eventType: string | undefined) =>
  STAGES.findIndex((stage) => stage.eventType === eventType);

/** Why a request that is not final may still rightly be waiting, or undefined when it may not. */
function stillWaiting(
  request: ResumeRequest,
  record: RequestRecord,
  workflows: readonly Workflow[],
): boolean {
  const mine = workflows.filter(
    (workflow) =>
      workflow.metadata.labels?.[labels.taskId] === record.task &&
      repositoryMatches(workflow.metadata.labels?.[labels.repository], request.spec.repository),
  );
  switch (request.status?.reason) {
    // Another repository's event waits for a workflow of its own repository.
    case 'WorkflowNotFound':
    case 'RepositoryMismatch':
      return mine.length === 0;
    // A change request waits as its reviewer's latest review while the play is at or before the stage.
    case 'ApprovalWithdrawn':
      return mine.some((workflow) => {
        const node = stageNode(workflow, record.stage);
        return !workflow.status?.finishedAt && !workflow.spec?.shutdown && node?.phase !== 'Succeeded';
      });
    case 'StageNotReached':
      return mine.some((workflow) => {
        const node = stageNode(workflow, record.stage);
        return !workflow.status?.finishedAt && !workflow.spec?.shutdown && node === undefined;
      });
    default:
      return false;
  }
}

/** Where a run stands, for a violation's detail: its phase and its stages' suspend nodes. */
function describeRun(workflow: Workflow | undefined): string {
  if (!workflow) return 'the workflow is gone';
  const nodes = STAGES.map(
    (stage, index) => `${stage.suspendNode} ${stageNode(workflow, index)?.phase ?? 'not reached'}`,
  );
  return `workflow ${workflow.status?.phase ?? 'without a phase'}${workflow.spec?.shutdown ? `, ${workflow.spec.shutdown}` : ''}: ${nodes.join(', ')}`;
}

/** How each named request ended, so that a lost stage says which outcome lost it. */
function describeRequests(names: readonly string[], requests: ReadonlyMap<string, ResumeRequest>): string {
  return names
    .map((name) => {
      const status = requests.get(name)?.status;
      if (!requests.has(name)) return `${name} absent`;
      return `${name} ${status?.phase ?? 'without a phase'}${status?.reason ? ` ${status.reason}: ${status.message ?? ''}` : ''}`;
    })
    .join('; ');
}

export function checkInvariants(input: CheckInput): CheckResult {
  const workflows = new Map(input.workflows.map((workflow) => [workflow.metadata.name, workflow]));
  const requests = new Map(input.requests.map((request) => [request.metadata.name, request]));
  const violations: Violation[] = [];
  let resumes = 0;
  const resumedBy = new Map<string, string[]>();

  for (const [run, { task, live }] of input.runs) {
    const workflow = workflows.get(run);
    // A stage can only be resumed once the stage before it was: while that one waits for an event
    // that never arrived (a delivery the EventSource never answered with success), the later
    // stages' events rightly wait too, and only the earliest stage that should have moved is lost.
    let reachable = true;
    for (let stage = 0; stage < STAGES.length; stage++) {
      const where = { task, stage: STAGES[stage]!.stage, workflow: run };
      const violation = (kind: ViolationKind, names: string[], detail: string) =>
        violations.push({ kind, ...where, requests: names, detail });
      const resumed = stageNode(workflow, stage)?.phase === 'Succeeded';
      const marker = markerOf(workflow, stage);
      // An approval the gate counted beside the one that resumed (ApprovalCounted) claims no resume.
      const claims = input.requests
        .filter(
          (request) =>
            request.status?.phase === 'Succeeded' &&
            request.status.reason !== 'ApprovalCounted' &&
            request.status.workflowName === run &&
            stageOfEventType(request.status.eventType) === stage,
        )
        .map((request) => request.metadata.name);
      const valid = [...input.sent]
        .filter(([, sent]) => sent.run === run && sent.stage === stage && VALID_KINDS.has(sent.kind))
        .map(([name]) => name);

      if (!resumed) {
        if (marker !== undefined || claims.length > 0)
          violation(
            'contradiction',
            [...new Set([marker ?? '', ...claims])].filter(Boolean),
            'named as resumed, but the stage is not',
          );
        else if (live && reachable && valid.length > 0)
          violation(
            'lost',
            valid,
            `valid events arrived and the stage was never resumed (${describeRun(workflow)}; ${describeRequests(valid, requests)})`,
          );
        reachable = false;
        continue;
      }
      resumes += 1;
      if (marker === undefined) {
        violation(
          'contradiction',
          claims,
          'the stage was resumed but no marker names the request that did it',
        );
        continue;
      }
      resumedBy.set(marker, [...(resumedBy.get(marker) ?? []), `${run} ${STAGES[stage]!.stage}`]);
      const sent = input.sent.get(marker);
      if (!sent || sent.task !== task || sent.stage !== stage) {
        violation('contradiction', [marker], 'the marker names a request that was not sent for this stage');
      } else if (REFUSED_KINDS.has(sent.kind)) {
        violation('wrongly_advanced', [marker], `advanced by a ${sent.kind} event that policy must refuse`);
      }
      const others = claims.filter((name) => name !== marker);
      if (others.length > 0)
        violation('double', [marker, ...others], 'more than one request says it resumed the stage');
      const named = requests.get(marker);
      const phase = named?.status?.phase;
      if (named && phase !== undefined && FINAL.has(phase) && phase !== 'Succeeded') {
        violation(
          'contradiction',
          [marker],
          `the marker names this request, whose status says ${phase} (${named.status?.reason})`,
        );
      }
      if (!named && sent && !sent.deleted)
        violation('contradiction', [marker], 'the marker names a request that is gone but was never deleted');
    }
  }

  for (const [name, stages] of resumedBy) {
    if (stages.length < 2) continue;
    const sent = input.sent.get(name);
    violations.push({
      kind: 'double',
      task: sent?.task ?? '?',
      stage: stages.join(', '),
      workflow: stages.map((stage) => stage.split(' ')[0]).join(', '),
      requests: [name],
      detail: 'one request resumed more than one stage',
    });
  }

  // Every valid delivery the EventSource answered with success became a request (the Sensor's
  // filters pass every valid event): nothing was lost between the webhook and the API.
  if (input.answered) {
    const carried = new Set(input.requests.map((request) => request.spec.github?.deliveryId));
    for (const record of input.sent.values()) if (record.deleted) carried.add(record.deliveryId);
    for (const [deliveryId, record] of input.answered) {
      if (!VALID_KINDS.has(record.kind) || carried.has(deliveryId)) continue;
      violations.push({
        kind: 'lost',
        task: record.task,
        stage: STAGES[record.stage]!.stage,
        workflow: record.run,
        requests: [`delivery ${deliveryId}`],
        detail: `the EventSource answered this ${record.kind} delivery with success, and no ResumeRequest carries it`,
      });
    }
  }

  for (const request of input.requests) {
    const name = request.metadata.name;
    const sent = input.sent.get(name);
    const phase = request.status?.phase;
    if (!sent || (phase !== undefined && FINAL.has(phase))) continue;
    if (stillWaiting(request, sent, input.workflows)) continue;
    violations.push({
      kind: 'stuck',
      task: sent.task,
      stage: STAGES[sent.stage]!.stage,
      workflow: request.status?.workflowName ?? sent.run,
      requests: [name],
      detail: `still ${phase ?? 'without a status'}${request.status?.reason ? ` (${request.status.reason}: ${request.status.message})` : ''}`,
    });
  }
  return { resumes, violations };
}

/** The four figures of the soak's output: contradictions count as stuck (not rightly final). */
export function countViolations(violations: readonly Violation[]) {
  const count = (...kinds: ViolationKind[]) => violations.filter((v) => kinds.includes(v.kind)).length;
  return {
    double_resumes: count('double'),
    lost: count('lost'),
    stuck: count('stuck', 'contradiction'),
    wrongly_advanced: count('wrongly_advanced'),
  };
}
