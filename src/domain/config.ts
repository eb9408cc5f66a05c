// What the decision rules are parameterised by: label keys, the stage map, how GitHub events and
// branch names map to event types and task ids, timeouts, the duplicate policy and how far GitHub
// is trusted. The defaults follow the conventions in docs/interfaces.md; the controller validates
// overrides with the schema.
import { z } from 'zod';
import {
  AUTHOR_ASSOCIATIONS,
  EVENT_TYPES,
  GITHUB_EVENTS,
  REPOSITORY_PERMISSIONS,
  REVIEW_STATES,
} from '../api/resume-request.js';
import { GITHUB_ID_MAX, GITHUB_LOGIN_MAX, GITHUB_LOGIN_PATTERN } from '../api/syntax.js';
import { isLabelValue, isQualifiedName } from './label-syntax.js';
import { compilePattern, MAX_PATTERN_LENGTH } from './pattern.js';

const labelKey = z.string().refine(isQualifiedName, { message: 'must be a valid label key' });
const labelValue = z.string().refine(isLabelValue, { message: 'must be a valid, non-empty label value' });

/** An RE2 pattern with exactly the one capture group that holds the task id. */
const captureOne = z
  .string()
  .max(MAX_PATTERN_LENGTH)
  .superRefine((source, context) => {
    const compiled = compilePattern(source);
    if (!compiled.ok) context.addIssue({ code: 'custom', message: compiled.message });
    else if (compiled.pattern.groupCount !== 1)
      context.addIssue({ code: 'custom', message: 'must have exactly one capture group (the task id)' });
  });

export const stageSchema = z.object({
  stage: labelValue,
  eventType: z.enum(EVENT_TYPES),
  /** Display name or template name of the stage's suspend node. */
  suspendNode: z.string().min(1).max(253),
});

export const eventMappingSchema = z.object({
  event: z.enum(GITHUB_EVENTS),
  actions: z.array(z.string().min(1).max(40)).min(1),
  /** For `labeled`: the label that was just added. */
  label: z.string().min(1).max(100).optional(),
  /** For reviews: the review's state. */
  reviewState: z.enum(REVIEW_STATES).optional(),
  eventType: z.enum(EVENT_TYPES),
});

/** The most approvals a gate may ask for: each is a ResumeRequest kept until the gate opens. */
export const MAX_REQUIRED_APPROVALS = 20;

/**
 * The annotations the operator keeps beside the stage markers, under the same prefix: the play's
 * pull request (`<prefix>pull-request`) and the approvers a gate counted (`<prefix><stage>.approvals`).
 */
export const PULL_REQUEST_MARKER = 'pull-request';
export const APPROVALS_MARKER_SUFFIX = '.approvals';
const isReservedMarkerName = (stage: string) =>
  stage === PULL_REQUEST_MARKER || stage.endsWith(APPROVALS_MARKER_SUFFIX);

/**
 * Who GitHub events are trusted from. Each field has its default, so an override may name only
 * what it changes. An approval counts when any one of the approver rules admits the reviewer.
 */
export const trustSchema = z.object({
  /**
   * The reviewer's author_association is one of these. GitHub's word for how the account
   * relates to the repository, not a permission: a MEMBER may have read access only.
   */
  approverAssociations: z
    .array(z.enum(AUTHOR_ASSOCIATIONS))
    .max(AUTHOR_ASSOCIATIONS.length)
    .default(['OWNER', 'MEMBER', 'COLLABORATOR']),
  /** The reviewer's account id is one of these: the rule a rename cannot get around. */
  approverIds: z.array(z.int().min(1).max(GITHUB_ID_MAX)).max(1000).default([]),
  /** The reviewer is one of these logins (compared ignoring case). */
  approverLogins: z
    .array(z.string().regex(new RegExp(GITHUB_LOGIN_PATTERN)).max(GITHUB_LOGIN_MAX))
    .max(1000)
    .default([]),
  /** The event carries the reviewer's repository permission (spec.github.reviewerPermission), one of these. */
  approverPermissions: z.array(z.enum(REPOSITORY_PERMISSIONS)).max(REPOSITORY_PERMISSIONS.length).default([]),
  /** Events of a pull request whose head branch is in another repository (a fork) advance a play. */
  allowForkPullRequests: z.boolean().default(false),
  /** Refuse events for workflows without a repository label (recommended). */
  requireRepositoryLabel: z.boolean().default(false),
});

export const domainConfigSchema = z
  .object({
    labels: z.object({
      workflowType: labelKey,
      taskId: labelKey,
      currentStage: labelKey,
      repository: labelKey,
    }),
    workflowType: labelValue,
    /** In workflow order: a workflow at a later stage has passed every earlier one. */
    stages: z.array(stageSchema).min(1).max(32),
    eventMappings: z.array(eventMappingSchema).max(64),
    /** Events on a closed pull request never resume anything. */
    ignoreClosedPullRequests: z.boolean(),
    taskIdLabelPatterns: z.array(captureOne).max(16),
    taskIdBranchPatterns: z.array(captureOne).max(16),
    waitTimeoutSeconds: z
      .int()
      .min(1)
      .max(7 * 24 * 3600),
    duplicatePolicy: z.enum(['newest', 'fail']),
    stopOlderDuplicates: z.boolean(),
    /**
     * How far GitHub's clock and the cluster's may disagree: an event is older than a workflow
     * or a stage's visit only when it is older by more than this.
     */
    clockSkewSeconds: z.int().min(0).max(600),
    markerAnnotationPrefix: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/$/)
      .max(254),
    trust: trustSchema.default(trustSchema.parse({})),
    /**
     * Workflow annotation (or label) with the number of distinct allowed reviewers whose
     * approvals the pr-approved stage waits for; 1 when absent.
     */
    requiredApprovalsKey: labelKey,
  })
  .refine((config) => new Set(config.stages.map((s) => s.stage)).size === config.stages.length, {
    message: 'stage names must be unique',
    path: ['stages'],
  })
  .refine((config) => new Set(config.stages.map((s) => s.eventType)).size === config.stages.length, {
    message: 'each event type may wait at one stage only',
    path: ['stages'],
  })
  .refine((config) => config.stages.every(({ stage }) => !isReservedMarkerName(stage)), {
    message: `a stage may not be named ${PULL_REQUEST_MARKER} or end in ${APPROVALS_MARKER_SUFFIX}: those annotations hold the play's pull request and a gate's approvers`,
    path: ['stages'],
  });

export type DomainConfig = z.infer<typeof domainConfigSchema>;
export type StageConfig = z.infer<typeof stageSchema>;
export type EventMapping = z.infer<typeof eventMappingSchema>;
export type TrustConfig = z.infer<typeof trustSchema>;

const defaults: DomainConfig = {
  labels: {
    workflowType: 'workflow-type',
    taskId: 'task-id',
    currentStage: 'current-stage',
    repository: 'repository',
  },
  workflowType: 'play-orchestration',
  stages: [
    { stage: 'waiting-pr-created', eventType: 'pr-created', suspendNode: 'wait-pr-created' },
    { stage: 'waiting-ready-for-qa', eventType: 'pr-labeled-ready', suspendNode: 'wait-ready-for-qa' },
    { stage: 'waiting-pr-approved', eventType: 'pr-approved', suspendNode: 'wait-pr-approved' },
  ],
  eventMappings: [
    // A reopened PR or a draft marked ready is the PR (re)appearing for review; at worst the
    // stage has already passed and the request is ignored as AlreadyResumed.
    { event: 'pull_request', actions: ['opened', 'reopened', 'ready_for_review'], eventType: 'pr-created' },
    { event: 'pull_request', actions: ['labeled'], label: 'ready-for-qa', eventType: 'pr-labeled-ready' },
    {
      event: 'pull_request_review',
      actions: ['submitted'],
      reviewState: 'approved',
      eventType: 'pr-approved',
    },
  ],
  ignoreClosedPullRequests: true,
  taskIdLabelPatterns: ['^task-([A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$'],
  // Branch ids are digits only: `task-42-fix-login` must not read as the id `42-fix-login`.
  taskIdBranchPatterns: ['^task-([0-9]+)(?:[-_./].*)?$', '^feature/task-([0-9]+)(?:[-_./].*)?$'],
  waitTimeoutSeconds: 1800,
  duplicatePolicy: 'newest',
  stopOlderDuplicates: false,
  clockSkewSeconds: 5,
  markerAnnotationPrefix: 'resume.workflows.dev/',
  trust: trustSchema.parse({}),
  requiredApprovalsKey: 'resume.workflows.dev/required-approvals',
};

export const defaultDomainConfig: DomainConfig = Object.freeze(defaults);

/** The stage an event type waits at, if any. */
export function stageForEventType(config: DomainConfig, eventType: string): StageConfig | undefined {
  return config.stages.find((stage) => stage.eventType === eventType);
}

export function stageIndex(config: DomainConfig, stage: string): number {
  return config.stages.findIndex((candidate) => candidate.stage === stage);
}
