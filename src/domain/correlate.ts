// From a ResumeRequest to what it asks for: which task, which event type and stage, and the
// selector that lists exactly that task's play workflows. Everything that later reaches the API
// server as a selector passes the label syntax checks here first.
import {
  describeIssues,
  resumeRequestSpecSchema,
  type EventType,
  type GithubFacts,
  type ResumeRequest,
  type ResumeRequestSpec,
} from '../api/resume-request.js';
import { stageForEventType, type DomainConfig, type StageConfig } from './config.js';
import { isLabelValue } from './label-syntax.js';
import { formatLabelSelector, parseLabelSelector, type LabelRequirement } from './label-selector.js';
import { parseNodeFieldSelector, type NodeFieldTerm } from './node-field-selector.js';
import { isOutcome, type Outcome } from './outcome.js';
import { compilePattern } from './pattern.js';
import { Reason } from './reasons.js';
import type { Verdict } from './reviews.js';

export interface ResolvedRequest {
  /** Absent only when the request names its workflow and neither spec nor GitHub facts name a task. */
  taskId?: string;
  eventType: EventType;
  /**
   * For a pull request review of the approval stage: whether it approves, or withdraws the
   * reviewer's approval (changes requested, or the review dismissed).
   */
  review?: Verdict;
  /** The stage name (`waiting-pr-created`). */
  stage: string;
  /** The stage's suspend node (display or template name). */
  suspendNode: string;
  repository?: string;
  workflowName?: string;
  /** `spec.labelSelector`, checked: ANDed with the task's own selector. */
  extraSelector: LabelRequirement[];
  /** `spec.nodeFieldSelector`, parsed. */
  nodeSelector?: NodeFieldTerm[];
  /** The spec as validated. */
  spec: ResumeRequestSpec;
}

const failed = (reason: Reason, message: string): Outcome => ({ phase: 'Failed', reason, message });
const ignored = (reason: Reason, message: string): Outcome => ({ phase: 'Ignored', reason, message });

type Derived = { eventType: EventType; review?: Verdict };

/** A review that takes its reviewer's approval back: changes requested, or the review dismissed. */
const withdraws = (github: GithubFacts) =>
  github.event === 'pull_request_review' &&
  ((github.action === 'submitted' && github.reviewState === 'changes_requested') ||
    github.action === 'dismissed');

/** The event type the GitHub facts stand for, or a message saying why they stand for none. */
function eventTypeFromGithub(github: GithubFacts, config: DomainConfig): Derived | string {
  if (config.ignoreClosedPullRequests && github.state === 'closed') return 'the pull request is closed';
  const mapping = config.eventMappings.find(
    (m) =>
      m.event === github.event &&
      m.actions.includes(github.action) &&
      (m.label === undefined || m.label === github.label) &&
      (m.reviewState === undefined || m.reviewState === github.reviewState),
  );
  const approving = github.event === 'pull_request_review' && github.reviewState === 'approved';
  if (mapping) return { eventType: mapping.eventType, ...(approving ? { review: 'approve' as const } : {}) };
  // Each reviewer's latest review decides: what withdraws an approval belongs to the stage that
  // approvals resume.
  const approvals = config.eventMappings.find(
    (m) => m.event === 'pull_request_review' && m.reviewState === 'approved',
  );
  if (approvals && withdraws(github)) return { eventType: approvals.eventType, review: 'retract' };
  const detail = [
    github.label === undefined ? '' : ` label "${github.label}"`,
    github.reviewState === undefined ? '' : ` review state "${github.reviewState}"`,
  ].join('');
  return `GitHub event ${github.event}/${github.action}${detail} does not resume any stage`;
}

function resolveEventType(spec: ResumeRequestSpec, config: DomainConfig): Derived | Outcome {
  if (!spec.github) {
    return spec.eventType
      ? { eventType: spec.eventType }
      : failed(Reason.MissingEventType, 'spec.eventType is required when spec.github is absent');
  }
  const derived = eventTypeFromGithub(spec.github, config);
  const type = typeof derived === 'string' ? undefined : derived.eventType;
  const known = type !== undefined && (config.stages.map((s) => s.eventType) as string[]).includes(type);
  if (spec.eventType !== undefined && spec.eventType !== type) {
    return failed(
      Reason.AmbiguousEventType,
      `spec.eventType is ${spec.eventType} but spec.github says ${known ? type : `otherwise (${typeof derived === 'string' ? derived : `${type}, which no stage waits for`})`}; ` +
        'remove one of them or make them agree',
    );
  }
  if (typeof derived === 'string') return ignored(Reason.NotRelevant, derived);
  return derived;
}

/** First capture of the first pattern that matches, if any. */
function capture(patterns: readonly string[], text: string): string | undefined {
  for (const pattern of patterns) {
    const compiled = compilePattern(pattern);
    const id = compiled.ok ? compiled.pattern.firstCapture(text) : undefined;
    if (id !== undefined) return id;
  }
  return undefined;
}

function resolveTaskId(spec: ResumeRequestSpec, config: DomainConfig): string | undefined | Outcome {
  const sources: { source: string; id: string }[] = [];
  const labels = new Set([
    ...(spec.github?.labels ?? []),
    ...(spec.github?.label ? [spec.github.label] : []),
  ]);
  for (const label of [...labels].sort()) {
    const id = capture(config.taskIdLabelPatterns, label);
    if (id !== undefined) sources.push({ source: `PR label "${label}"`, id });
  }
  const headRef = spec.github?.headRef;
  const branchId = headRef === undefined ? undefined : capture(config.taskIdBranchPatterns, headRef);
  if (branchId !== undefined) sources.push({ source: `head branch "${headRef}"`, id: branchId });
  if (spec.taskId !== undefined) sources.push({ source: 'spec.taskId', id: spec.taskId });

  const invalid = sources.find(({ id }) => !isLabelValue(id));
  if (invalid) {
    return failed(
      Reason.InvalidTaskId,
      `the task id from ${invalid.source} is not a valid label value (letters, digits, '-', '_', '.', at most 63)`,
    );
  }
  const ids = new Set(sources.map(({ id }) => id));
  if (ids.size > 1) {
    const listed = sources.map(({ source, id }) => `${source} → ${id}`).join(', ');
    return failed(Reason.AmbiguousTaskId, `task id sources disagree: ${listed}; fix the PR labels or branch`);
  }
  return sources[0]?.id;
}

/** The spec as the schema reads it, or why it cannot (a task id problem named as such). */
function parseSpec(request: ResumeRequest): ResumeRequestSpec | Outcome {
  const parsed = resumeRequestSpecSchema.safeParse(request.spec);
  if (parsed.success) return parsed.data;
  const taskIdIssue = parsed.error.issues.some((issue) => issue.path[0] === 'taskId');
  return failed(taskIdIssue ? Reason.InvalidTaskId : Reason.InvalidSpec, describeIssues(parsed.error));
}

/**
 * What the request asks for, or the outcome that settles it without looking at any workflow.
 * Never throws, whatever the request holds.
 */
export function resolveRequest(request: ResumeRequest, config: DomainConfig): ResolvedRequest | Outcome {
  const spec = parseSpec(request);
  if (isOutcome(spec)) return spec;

  const derived = resolveEventType(spec, config);
  if (isOutcome(derived)) return derived;
  const { eventType, review } = derived;
  const stage: StageConfig | undefined = stageForEventType(config, eventType);
  if (!stage) return ignored(Reason.NotRelevant, `no stage is configured to wait for ${eventType}`);

  const taskId = resolveTaskId(spec, config);
  if (typeof taskId === 'object') return taskId;
  if (taskId === undefined && spec.workflowName === undefined) {
    return failed(
      Reason.MissingTaskId,
      'no task id: set spec.taskId, or label the PR "task-<id>", or name the branch "task-<id>-…"',
    );
  }

  const extra = parseExtraLabelSelector(spec.labelSelector, config);
  if (!extra.ok) return failed(Reason.InvalidLabelSelector, `spec.labelSelector: ${extra.message}`);

  let nodeSelector: NodeFieldTerm[] | undefined;
  if (spec.nodeFieldSelector !== undefined) {
    const parsed = parseNodeFieldSelector(spec.nodeFieldSelector);
    if (!parsed.ok)
      return failed(Reason.InvalidNodeFieldSelector, `spec.nodeFieldSelector: ${parsed.message}`);
    nodeSelector = parsed.terms;
  }

  return {
    ...(taskId === undefined ? {} : { taskId }),
    eventType,
    ...(review === undefined ? {} : { review }),
    stage: stage.stage,
    suspendNode: stage.suspendNode,
    ...(spec.repository === undefined ? {} : { repository: spec.repository }),
    ...(spec.workflowName === undefined ? {} : { workflowName: spec.workflowName }),
    extraSelector: extra.requirements,
    ...(nodeSelector === undefined ? {} : { nodeSelector }),
    spec,
  };
}

/**
 * Checks the user's extra selector. It is ANDed with the task's own, so it can only narrow; it
 * may still not mention the keys that define the task, so the request's scope reads from its
 * taskId and nothing else.
 */
export function parseExtraLabelSelector(
  selector: string | undefined,
  config: DomainConfig,
): { ok: true; requirements: LabelRequirement[] } | { ok: false; message: string } {
  if (selector === undefined) return { ok: true, requirements: [] };
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) return parsed;
  const reserved = new Set([config.labels.taskId, config.labels.workflowType]);
  const touching = parsed.requirements.find(({ key }) => reserved.has(key));
  if (touching) return { ok: false, message: `may not select on ${touching.key}; it is set from the task` };
  return parsed;
}

/** The requirements every listed workflow must meet: the play type, the task, the extra selector. */
export function workflowRequirements(resolved: ResolvedRequest, config: DomainConfig): LabelRequirement[] {
  return [
    { key: config.labels.workflowType, operator: 'In', values: [config.workflowType] },
    ...(resolved.taskId === undefined
      ? []
      : [{ key: config.labels.taskId, operator: 'In' as const, values: [resolved.taskId] }]),
    ...resolved.extraSelector,
  ];
}

/** The label selector to list this request's workflows with; printed only from checked values. */
export function workflowLabelSelector(resolved: ResolvedRequest, config: DomainConfig): string {
  return formatLabelSelector(workflowRequirements(resolved, config));
}

/**
 * A field selector for requests that name their workflow: with no task id it is what keeps the
 * listing to one workflow.
 */
export function workflowFieldSelector(resolved: ResolvedRequest): string | undefined {
  return resolved.workflowName === undefined ? undefined : `metadata.name=${resolved.workflowName}`;
}
