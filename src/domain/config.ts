// What the decision rules are parameterised by: label keys, the stage map, how GitHub events and
// branch names map to event types and task ids, timeouts and the duplicate policy. The defaults
// follow the conventions in CONTRACTS.md; the controller validates overrides with the schema.
import { z } from 'zod';
import { EVENT_TYPES, GITHUB_EVENTS, REVIEW_STATES } from '../api/resume-request.js';
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
    markerAnnotationPrefix: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/$/)
      .max(254),
  })
  .refine((config) => new Set(config.stages.map((s) => s.stage)).size === config.stages.length, {
    message: 'stage names must be unique',
    path: ['stages'],
  })
  .refine((config) => new Set(config.stages.map((s) => s.eventType)).size === config.stages.length, {
    message: 'each event type may wait at one stage only',
    path: ['stages'],
  });

export type DomainConfig = z.infer<typeof domainConfigSchema>;
export type StageConfig = z.infer<typeof stageSchema>;
export type EventMapping = z.infer<typeof eventMappingSchema>;

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
  markerAnnotationPrefix: 'resume.workflows.dev/',
};

export const defaultDomainConfig: DomainConfig = Object.freeze(defaults);

/** The stage an event type waits at, if any. */
export function stageForEventType(config: DomainConfig, eventType: string): StageConfig | undefined {
  return config.stages.find((stage) => stage.eventType === eventType);
}

export function stageIndex(config: DomainConfig, stage: string): number {
  return config.stages.findIndex((candidate) => candidate.stage === stage);
}
