// The ResumeRequest custom resource: its identity, the zod schemas of spec and status, and the
// types derived from them. crds/resume.workflows.dev_resumerequests.yaml is the same schema for
// the API server; test/unit/crd-schema-agreement.test.ts keeps the two from drifting apart.
import { z } from 'zod';
import type { ObjectMetadata } from './object-metadata.js';
import * as syntax from './syntax.js';
import { codePointLength } from './text-length.js';

export const GROUP = 'resume.workflows.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = 'resumerequests';
export const KIND = 'ResumeRequest';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const EVENT_TYPES = ['pr-created', 'pr-labeled-ready', 'pr-approved'] as const;
export const GITHUB_EVENTS = ['pull_request', 'pull_request_review'] as const;
export const REVIEW_STATES = ['approved', 'changes_requested', 'commented', 'dismissed', 'pending'] as const;
export const PULL_REQUEST_STATES = ['open', 'closed'] as const;
/** A repository permission, as GitHub's collaborator permission API names it. */
export const REPOSITORY_PERMISSIONS = ['admin', 'maintain', 'write', 'triage', 'read', 'none'] as const;
/** GitHub's author_association: how the account relates to the repository. */
export const AUTHOR_ASSOCIATIONS = [
  'OWNER',
  'MEMBER',
  'COLLABORATOR',
  'CONTRIBUTOR',
  'FIRST_TIME_CONTRIBUTOR',
  'FIRST_TIMER',
  'MANNEQUIN',
  'NONE',
] as const;
export const RULE_OPERATORS = [
  'Equals',
  'NotEquals',
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
  'Matches',
] as const;
export const PHASES = ['Pending', 'Waiting', 'Resuming', 'Succeeded', 'Failed', 'Ignored'] as const;

export type EventType = (typeof EVENT_TYPES)[number];
export type AuthorAssociation = (typeof AUTHOR_ASSOCIATIONS)[number];
export type RepositoryPermission = (typeof REPOSITORY_PERMISSIONS)[number];
export type RuleOperator = (typeof RULE_OPERATORS)[number];
export type Phase = (typeof PHASES)[number];

const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(['Succeeded', 'Failed', 'Ignored']);

/** Terminal requests are never reconciled again: their outcome is final. */
export function isTerminalPhase(phase: Phase | undefined): boolean {
  return phase !== undefined && TERMINAL_PHASES.has(phase);
}

/** A string of at most `max` code points (see text-length.ts), matching `pattern` if given. */
const text = (max: number, pattern?: string) =>
  (pattern === undefined ? z.string() : z.string().regex(new RegExp(pattern)))
    .refine((value) => codePointLength(value) <= max, { message: `must be at most ${max} characters long` })
    .meta({ maxLength: max });
const patterned = (pattern: string, max: number) => text(max, pattern);
const timestamp = () => z.iso.datetime({ offset: true });
const githubId = () => z.int().min(1).max(syntax.GITHUB_ID_MAX);

/** Code points of a map's keys and values together, as the CRD's CEL rule counts them. */
const textTotal = (map: Record<string, string>) =>
  Object.entries(map).reduce((sum, [key, value]) => sum + codePointLength(key) + codePointLength(value), 0);
/** Code points of a rule's texts, as the CRD's CEL rule counts them. */
const ruleText = (rule: { field: string; value?: string; values?: string[]; message?: string }) =>
  codePointLength(rule.field) +
  codePointLength(rule.value ?? '') +
  codePointLength(rule.message ?? '') +
  (rule.values ?? []).reduce((sum, value) => sum + codePointLength(value), 0);

export const githubFactsSchema = z.object({
  deliveryId: patterned(syntax.DELIVERY_ID_PATTERN, syntax.DELIVERY_ID_MAX).optional(),
  event: z.enum(GITHUB_EVENTS),
  action: patterned(syntax.GITHUB_ACTION_PATTERN, syntax.GITHUB_ACTION_MAX),
  label: text(syntax.GITHUB_LABEL_MAX).optional(),
  labels: z.array(text(syntax.GITHUB_LABEL_MAX)).max(syntax.GITHUB_LABELS_MAX_ITEMS).optional(),
  headRef: patterned(syntax.HEAD_REF_PATTERN, syntax.HEAD_REF_MAX).optional(),
  baseRef: patterned(syntax.HEAD_REF_PATTERN, syntax.HEAD_REF_MAX).optional(),
  title: text(syntax.TITLE_MAX).optional(),
  state: z.enum(PULL_REQUEST_STATES).optional(),
  reviewState: z.enum(REVIEW_STATES).optional(),
  occurredAt: timestamp().optional(),
  sender: patterned(syntax.GITHUB_LOGIN_PATTERN, syntax.GITHUB_LOGIN_MAX).optional(),
  authorAssociation: z.enum(AUTHOR_ASSOCIATIONS).optional(),
  reviewAuthorAssociation: z.enum(AUTHOR_ASSOCIATIONS).optional(),
  reviewer: patterned(syntax.GITHUB_LOGIN_PATTERN, syntax.GITHUB_LOGIN_MAX).optional(),
  reviewerId: githubId().optional(),
  reviewId: githubId().optional(),
  reviewerPermission: z.enum(REPOSITORY_PERMISSIONS).optional(),
  // null, not absent, when GitHub sends `head.repo: null` (the fork was deleted).
  headRepository: patterned(syntax.REPOSITORY_PATTERN, syntax.REPOSITORY_MAX).nullable().optional(),
  headRepositoryFork: z.boolean().nullable().optional(),
});

export const validationRuleSchema = z
  .object({
    field: patterned(syntax.RULE_FIELD_PATTERN, syntax.RULE_FIELD_MAX),
    operator: z.enum(RULE_OPERATORS),
    value: text(syntax.RULE_VALUE_MAX).optional(),
    values: z.array(text(syntax.RULE_VALUE_MAX)).max(syntax.RULE_VALUES_MAX_ITEMS).optional(),
    message: text(syntax.RULE_MESSAGE_MAX).optional(),
  })
  .refine((rule) => !['Equals', 'NotEquals', 'Matches'].includes(rule.operator) || rule.value !== undefined, {
    message: 'value is required for Equals, NotEquals and Matches',
    path: ['value'],
  })
  .refine((rule) => !['In', 'NotIn'].includes(rule.operator) || (rule.values?.length ?? 0) > 0, {
    message: 'values is required for In and NotIn',
    path: ['values'],
  });

export const resumeRequestSpecSchema = z
  .object({
    taskId: patterned(syntax.LABEL_VALUE_PATTERN, syntax.LABEL_VALUE_MAX).optional(),
    eventType: z.enum(EVENT_TYPES).optional(),
    prNumber: z.int().min(1).max(syntax.PR_NUMBER_MAX).optional(),
    repository: patterned(syntax.REPOSITORY_PATTERN, syntax.REPOSITORY_MAX).optional(),
    github: githubFactsSchema.optional(),
    eventPayload: z
      .record(
        patterned(syntax.EVENT_PAYLOAD_KEY_PATTERN, syntax.EVENT_PAYLOAD_KEY_MAX),
        text(syntax.EVENT_PAYLOAD_VALUE_MAX),
      )
      .refine((payload) => Object.keys(payload).length <= syntax.EVENT_PAYLOAD_MAX_PROPERTIES, {
        message: `must have at most ${syntax.EVENT_PAYLOAD_MAX_PROPERTIES} properties`,
      })
      .refine((payload) => textTotal(payload) <= syntax.FIELD_TEXT_TOTAL_MAX, {
        message: `must hold at most ${syntax.FIELD_TEXT_TOTAL_MAX} characters in all`,
      })
      .meta({ maxProperties: syntax.EVENT_PAYLOAD_MAX_PROPERTIES })
      .optional(),
    workflowName: patterned(syntax.OBJECT_NAME_PATTERN, syntax.OBJECT_NAME_MAX).optional(),
    labelSelector: patterned(syntax.LABEL_SELECTOR_PATTERN, syntax.SELECTOR_MAX).optional(),
    nodeFieldSelector: patterned(syntax.NODE_FIELD_SELECTOR_PATTERN, syntax.SELECTOR_MAX).optional(),
    resumeParameters: z
      .record(
        patterned(syntax.PARAMETER_NAME_PATTERN, syntax.PARAMETER_NAME_MAX),
        text(syntax.PARAMETER_VALUE_MAX),
      )
      .refine((parameters) => Object.keys(parameters).length <= syntax.PARAMETERS_MAX_PROPERTIES, {
        message: `must have at most ${syntax.PARAMETERS_MAX_PROPERTIES} parameters`,
      })
      .refine((parameters) => textTotal(parameters) <= syntax.FIELD_TEXT_TOTAL_MAX, {
        message: `must hold at most ${syntax.FIELD_TEXT_TOTAL_MAX} characters in all`,
      })
      .meta({ maxProperties: syntax.PARAMETERS_MAX_PROPERTIES })
      .optional(),
    validationRules: z
      .array(validationRuleSchema)
      .max(syntax.RULES_MAX_ITEMS)
      .refine(
        (rules) => rules.reduce((sum, rule) => sum + ruleText(rule), 0) <= syntax.FIELD_TEXT_TOTAL_MAX,
        {
          message: `must hold at most ${syntax.FIELD_TEXT_TOTAL_MAX} characters in all`,
        },
      )
      .optional(),
    ttlSecondsAfterFinished: z.int().min(0).max(syntax.TTL_SECONDS_MAX).optional(),
  })
  .refine(
    (spec) => spec.taskId !== undefined || spec.github !== undefined || spec.workflowName !== undefined,
    {
      message: 'one of taskId, github, workflowName is required',
    },
  );

export const conditionSchema = z.object({
  type: patterned(syntax.REASON_PATTERN, syntax.REASON_MAX),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: patterned(syntax.REASON_PATTERN, syntax.REASON_MAX),
  message: text(syntax.STATUS_ITEM_MAX),
  lastTransitionTime: timestamp(),
  observedGeneration: z.int().min(0).optional(),
});

const nameList = () => z.array(text(syntax.OBJECT_NAME_MAX)).max(syntax.STATUS_LIST_MAX_ITEMS);

export const resumeRequestStatusSchema = z.object({
  phase: z.enum(PHASES).optional(),
  reason: patterned(syntax.REASON_PATTERN, syntax.REASON_MAX).optional(),
  message: text(syntax.MESSAGE_MAX).optional(),
  taskId: patterned(syntax.LABEL_VALUE_PATTERN, syntax.LABEL_VALUE_MAX).optional(),
  eventType: z.enum(EVENT_TYPES).optional(),
  workflowName: patterned(syntax.OBJECT_NAME_PATTERN, syntax.OBJECT_NAME_MAX).optional(),
  resumedNode: text(syntax.STATUS_ITEM_MAX).optional(),
  attempts: z.int().min(0).max(syntax.ATTEMPTS_MAX).optional(),
  retryDelays: z
    .array(patterned(syntax.DURATION_PATTERN, syntax.DURATION_MAX))
    .max(syntax.STATUS_LIST_MAX_ITEMS)
    .optional(),
  lastError: text(syntax.MESSAGE_MAX).optional(),
  validationErrors: z.array(text(syntax.STATUS_ITEM_MAX)).max(syntax.VALIDATION_ERRORS_MAX_ITEMS).optional(),
  candidates: nameList().optional(),
  startTime: timestamp().optional(),
  resumeTime: timestamp().optional(),
  completionTime: timestamp().optional(),
  nextAttemptTime: timestamp().optional(),
  observedGeneration: z.int().min(0).optional(),
  conditions: z.array(conditionSchema).max(syntax.CONDITIONS_MAX_ITEMS).optional(),
});

export type GithubFacts = z.infer<typeof githubFactsSchema>;
export type ValidationRule = z.infer<typeof validationRuleSchema>;
export type ResumeRequestSpec = z.infer<typeof resumeRequestSpecSchema>;
export type ResumeRequestStatus = z.infer<typeof resumeRequestStatusSchema>;
export type Condition = z.infer<typeof conditionSchema>;

export interface ResumeRequest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
  spec: ResumeRequestSpec;
  status?: ResumeRequestStatus;
}

/** `spec.taskId: Invalid string: …; spec.github.event: …` — every issue, each with its field path. */
export function describeIssues(error: z.ZodError, prefix = 'spec'): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((step) => step !== '').join('.');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
