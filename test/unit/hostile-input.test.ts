// Hostile input through the pure core: requests generated from the CRD's own field shapes, mixed
// with what a hostile tenant would write (maximum lengths, astral-plane text, regex bombs,
// label-selector syntax, deeply nested payloads), go through spec validation, correlation and
// the decision. Nothing may throw, and no decision may take long: the bound below is generous
// for linear work and broken at once by anything super-linear (a backtracking pattern on a
// 30-character title takes minutes).
import fc from 'fast-check';
import { resumeRequestSpecSchema, type ResumeRequest } from '../../src/api/resume-request.js';
import * as syntax from '../../src/api/syntax.js';
import { defaultDomainConfig } from '../../src/domain/config.js';
import { resolveRequest, workflowLabelSelector } from '../../src/domain/correlate.js';
import { decide } from '../../src/domain/decide.js';
import { parseLabelSelector } from '../../src/domain/label-selector.js';
import { isOutcome } from '../../src/domain/outcome.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const RUNS = 10_000;
/**
 * A decision is well under a millisecond of linear work; a garbage collection or a busy machine
 * adds tens to hundreds. Only a blow-up reaches this (a backtracking pattern takes minutes).
 */
const DECISION_BOUND_MS = 2000;

const regexBombs = [
  '^((a|aa)+|(a|b)+)+$',
  '(a+)+$',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '(x+x+)+y',
  '^(\\w+\\s?)*$',
  '(.*a){20}',
  '(a|a?)+b',
  '(?:a?){30}a{30}',
];
const selectorSyntax = [
  '1,workflow-type!=x',
  '1 in (2)',
  '!task-id',
  'task-id notin ()',
  'a=b,c!=d,e in (f,g),!h',
  '=',
  ',,,',
  '(((',
];
const astral = (length: number) => '😀'.repeat(length);
const atMost = (max: number) =>
  fc.oneof(
    fc.string({ maxLength: max }),
    fc.string({ unit: 'grapheme', maxLength: max }),
    fc.constant('a'.repeat(max)),
    fc.constant(astral(max)),
    fc.constant(`${astral(max - 1)}\u0000`),
    fc.constantFrom(...regexBombs, ...selectorSyntax),
  );
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

/** A payload nested `depth` levels deep, the shape a rule path walks. */
const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 'a'.repeat(100) };
  for (let i = 0; i < depth; i++) value = { pull_request: value };
  return value;
};

/** Payloads as the schema admits them (flat, keys a rule path names), up to and past its budget. */
const flatPayloadArb = fc.dictionary(
  fc.constantFrom('title', 'pull_request.base.ref', 'pull_request.title', 'a', 'b', 'c', 'd', 'e'),
  atMost(syntax.EVENT_PAYLOAD_VALUE_MAX),
  { maxKeys: 8 },
);

const githubArb = fc.record(
  {
    deliveryId: maybe(atMost(syntax.DELIVERY_ID_MAX)),
    event: fc.constantFrom('pull_request', 'pull_request_review'),
    action: fc.oneof(fc.constantFrom('opened', 'labeled', 'submitted'), atMost(syntax.GITHUB_ACTION_MAX)),
    label: maybe(fc.oneof(fc.constantFrom('ready-for-qa', 'task-42'), atMost(syntax.GITHUB_LABEL_MAX))),
    labels: maybe(
      fc.array(fc.oneof(fc.constant('task-42'), atMost(syntax.GITHUB_LABEL_MAX)), {
        maxLength: syntax.GITHUB_LABELS_MAX_ITEMS,
      }),
    ),
    headRef: maybe(fc.oneof(fc.constantFrom('task-42-x', 'feature/task-42'), atMost(syntax.HEAD_REF_MAX))),
    title: maybe(atMost(syntax.TITLE_MAX)),
    reviewState: maybe(fc.constantFrom('approved', 'commented')),
    occurredAt: maybe(fc.constantFrom('2019-05-15T15:20:33Z', 'yesterday')),
    sender: maybe(atMost(syntax.GITHUB_LOGIN_MAX)),
  },
  { requiredKeys: ['event', 'action'] },
);

const ruleFields = {
  field: fc.constantFrom(
    'github.title',
    'github.headRef',
    'github.labels[0]',
    'event.pull_request.pull_request.pull_request.leaf',
    'event.pull_request',
    'event.pull_request.base.ref',
    'event.title',
    "workflow.metadata.labels['task-id']",
    'workflow.status.nodes',
  ),
  operator: fc.constantFrom('Equals', 'NotEquals', 'In', 'NotIn', 'Exists', 'DoesNotExist', 'Matches'),
  value: fc.oneof(fc.constantFrom(...regexBombs), atMost(syntax.RULE_VALUE_MAX)),
  values: fc.array(atMost(syntax.RULE_VALUE_MAX), { minLength: 1, maxLength: 5 }),
};
const ruleArb = fc.record(ruleFields, { requiredKeys: ['field', 'operator'] });
/** Rules that pass the schema: each carries both a value and values. */
const wellFormedRuleArb = fc.record(ruleFields);

const specArb = fc.record(
  {
    taskId: maybe(fc.oneof(fc.constant('42'), atMost(syntax.LABEL_VALUE_MAX))),
    eventType: maybe(fc.constantFrom('pr-created', 'pr-labeled-ready', 'pr-approved')),
    repository: maybe(fc.oneof(fc.constant('acme/widgets'), atMost(syntax.REPOSITORY_MAX))),
    prNumber: maybe(fc.integer({ min: 1, max: syntax.PR_NUMBER_MAX })),
    github: maybe(githubArb),
    workflowName: maybe(fc.oneof(fc.constant('play-42'), atMost(syntax.OBJECT_NAME_MAX))),
    labelSelector: maybe(fc.oneof(fc.constantFrom(...selectorSyntax), atMost(syntax.SELECTOR_MAX))),
    nodeFieldSelector: maybe(
      fc.oneof(fc.constant('displayName=wait-pr-created'), atMost(syntax.SELECTOR_MAX)),
    ),
    eventPayload: maybe(
      fc.oneof(fc.constantFrom(nested(3), nested(2000), { title: astral(4096) }), flatPayloadArb),
    ),
    validationRules: maybe(fc.array(ruleArb, { maxLength: syntax.RULES_MAX_ITEMS })),
  },
  { requiredKeys: [] },
);

/** Requests that resolve to a task, carrying hostile facts and rules into the decision. */
const resolvableArb = fc.record({
  taskId: fc.constantFrom('42', '43'),
  eventType: fc.constantFrom('pr-created', 'pr-labeled-ready', 'pr-approved'),
  github: fc.record({
    event: fc.constant('pull_request'),
    action: fc.constant('opened'),
    title: atMost(syntax.TITLE_MAX),
    labels: fc.array(atMost(syntax.GITHUB_LABEL_MAX), { maxLength: syntax.GITHUB_LABELS_MAX_ITEMS }),
  }),
  eventPayload: fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(nested(3), nested(2000)) },
    { weight: 6, arbitrary: flatPayloadArb },
  ),
  validationRules: fc.array(wellFormedRuleArb, { maxLength: syntax.RULES_MAX_ITEMS }),
});

const workflows = [
  playWorkflow({ name: 'play-42', taskId: '42', at: 0 }),
  playWorkflow({ name: 'play-42-b', taskId: '42', at: 1, created: '2019-05-02T09:00:00Z' }),
  playWorkflow({ name: 'play-43', taskId: '43', at: 2, labels: { repository: 'acme.widgets' } }),
];

const asRequest = (spec: unknown): ResumeRequest => ({
  apiVersion: 'resume.workflows.dev/v1alpha1',
  kind: 'ResumeRequest',
  metadata: { name: 'rr', namespace: 'ci', creationTimestamp: '2019-05-15T15:21:00Z', generation: 1 },
  spec: spec as ResumeRequest['spec'],
});

describe('hostile requests through validation, correlation and decision', () => {
  it(`never throw, and decide each of ${RUNS} within ${DECISION_BOUND_MS} ms`, () => {
    const counts = { admitted: 0, resolved: 0, resumes: 0, wholeReads: 0 };
    let slowestMs = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 5, arbitrary: specArb },
          { weight: 4, arbitrary: resolvableArb },
          { weight: 1, arbitrary: fc.anything() },
        ),
        (spec) => {
          const started = performance.now();
          if (resumeRequestSpecSchema.safeParse(spec).success) counts.admitted++;
          const request = asRequest(spec);
          const resolved = resolveRequest(request, defaultDomainConfig);
          if (!isOutcome(resolved)) {
            counts.resolved++;
            expect(parseLabelSelector(workflowLabelSelector(resolved, defaultDomainConfig)).ok).toBe(true);
            const now = new Date('2019-05-15T15:22:00Z');
            const input = { request, resolved, workflows, now, config: defaultDomainConfig };
            let decision = decide(input);
            if (decision.action === 'read') {
              // What the reconciler does: the one workflow to resume, read whole, for its rules.
              counts.wholeReads++;
              const name = decision.workflowName;
              decision = decide({ ...input, whole: workflows.find((w) => w.metadata.name === name)! });
              expect(decision.action).not.toBe('read');
            }
            if (decision.action === 'resume') counts.resumes++;
          }
          const elapsed = performance.now() - started;
          slowestMs = Math.max(slowestMs, elapsed);
          expect(elapsed).toBeLessThan(DECISION_BOUND_MS);
        },
      ),
      { numRuns: RUNS },
    );
    // The suite means little unless hostile requests also got past the schema and correlation.
    expect(counts.admitted).toBeGreaterThan(RUNS / 10);
    expect(counts.resolved).toBeGreaterThan(RUNS / 10);
    expect(counts.resumes).toBeGreaterThan(0);
    console.log(JSON.stringify({ hostile_requests: RUNS, ...counts, slowest_decision_ms: slowestMs }));
  });

  it('decides a regex bomb on the longest title at once', () => {
    const request = asRequest({
      taskId: '42',
      eventType: 'pr-created',
      repository: 'acme/widgets',
      github: {
        event: 'pull_request',
        action: 'opened',
        title: `${'a'.repeat(syntax.TITLE_MAX - 1)}!`,
        authorAssociation: 'MEMBER',
        headRepository: 'acme/widgets',
        headRepositoryFork: false,
      },
      validationRules: regexBombs.map((value) => ({ field: 'github.title', operator: 'Matches', value })),
    });
    const resolved = resolveRequest(request, defaultDomainConfig);
    if (isOutcome(resolved)) throw new Error(resolved.message);
    const started = performance.now();
    const decision = decide({
      request,
      resolved,
      workflows,
      now: new Date('2019-05-15T15:22:00Z'),
      config: defaultDomainConfig,
    });
    expect(performance.now() - started).toBeLessThan(DECISION_BOUND_MS);
    expect(decision).toEqual(expect.objectContaining({ action: 'complete', reason: 'ValidationFailed' }));
  });
});
