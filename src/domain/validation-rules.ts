// spec.validationRules: extra checks a request makes on the event it carries or on the workflow
// it would resume. A field is `workflow.<path>`, `event.<path>` (spec.eventPayload) or
// `github.<path>` (spec.github); path steps are `.key`, `['key/with.dots']` or `[index]`.
// spec.eventPayload is a flat map of strings: `event.<path>` reads the value stored under the
// path's steps joined with `.` (`event.pull_request.base.ref` reads `pull_request.base.ref`).
import type { GithubFacts, ValidationRule } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import { codePointLength } from '../api/text-length.js';
import { compilePattern, MAX_MATCH_STEPS, MAX_SUBJECT_LENGTH } from './pattern.js';

export interface RuleSubjects {
  workflow?: Workflow;
  event?: Record<string, unknown>;
  github?: GithubFacts;
}

/** `request` rules read only the request (event, github); `workflow` rules read the workflow. */
export type RuleScope = 'request' | 'workflow';

const step = /\.([A-Za-z0-9_-]+)|\['([A-Za-z0-9_./-]+)'\]|\[([0-9]+)\]/y;

/** The path after the source, or undefined when it does not follow the grammar. */
export function parseRuleField(
  field: string,
): { source: keyof RuleSubjects; path: (string | number)[] } | undefined {
  const source = /^(workflow|event|github)/.exec(field)?.[1] as keyof RuleSubjects | undefined;
  if (!source) return undefined;
  const path: (string | number)[] = [];
  step.lastIndex = source.length;
  while (step.lastIndex < field.length) {
    const match = step.exec(field);
    if (!match) return undefined;
    path.push(match[3] === undefined ? (match[1] ?? match[2])! : Number(match[3]));
  }
  return path.length > 0 ? { source, path } : undefined;
}

function lookup(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof key === 'number' ? !Array.isArray(current) : !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function eventValue(
  payload: Record<string, unknown> | undefined,
  path: readonly (string | number)[],
): unknown {
  const key = path.join('.');
  return payload !== undefined && Object.hasOwn(payload, key) ? payload[key] : undefined;
}

/** Scalars compare as their string form; objects and lists do not compare at all. */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Match steps left to the rules of one evaluation. */
interface MatchBudget {
  steps: number;
}

/** Why the rule fails, or undefined when it holds. */
function check(rule: ValidationRule, value: unknown, budget: MatchBudget): string | undefined {
  const present = value !== undefined && value !== null;
  const text = scalar(value);
  switch (rule.operator) {
    case 'Exists':
      return present ? undefined : 'is missing';
    case 'DoesNotExist':
      return present ? `is present (${quote(value)})` : undefined;
    case 'Equals':
      if (rule.value === undefined) return 'Equals needs a value';
      return text === rule.value ? undefined : `is ${quote(value)}, not ${quote(rule.value)}`;
    case 'NotEquals':
      if (rule.value === undefined) return 'NotEquals needs a value';
      return text === rule.value ? `is ${quote(value)}` : undefined;
    case 'In':
      if (!rule.values?.length) return 'In needs values';
      return text !== undefined && rule.values.includes(text)
        ? undefined
        : `is ${quote(value)}, not one of ${quote(rule.values)}`;
    case 'NotIn':
      if (!rule.values?.length) return 'NotIn needs values';
      return text !== undefined && rule.values.includes(text) ? `is ${quote(value)}` : undefined;
    case 'Matches': {
      if (rule.value === undefined) return 'Matches needs a pattern in value';
      const compiled = compilePattern(rule.value);
      if (!compiled.ok) return `pattern refused: ${compiled.message}`;
      if (text === undefined) return `is ${quote(value)}, not text to match`;
      const length = codePointLength(text);
      if (length > MAX_SUBJECT_LENGTH)
        return `is longer than ${MAX_SUBJECT_LENGTH} characters, too long to match`;
      const steps = compiled.pattern.programSize * (length + 1);
      if (steps > budget.steps)
        return `would take ${steps} match steps, more than the ${budget.steps} left of the ${MAX_MATCH_STEPS} a request's rules may spend: use simpler patterns or fewer Matches rules`;
      budget.steps -= steps;
      return compiled.pattern.test(text)
        ? undefined
        : `is ${quote(value)}, which does not match ${quote(rule.value)}`;
    }
  }
}

/**
 * The failures, one message per failing rule, in rule order; empty when all hold. The Matches
 * rules of one evaluation share MAX_MATCH_STEPS between them, so no request holds the event loop
 * for long however its rules are written.
 */
export function evaluateRules(
  rules: readonly ValidationRule[] | undefined,
  subjects: RuleSubjects,
  scope: RuleScope,
): string[] {
  const failures: string[] = [];
  const budget: MatchBudget = { steps: MAX_MATCH_STEPS };
  for (const rule of rules ?? []) {
    const field = parseRuleField(rule.field);
    if (!field) {
      if (scope === 'request') failures.push(`${rule.field}: not a field path`);
      continue;
    }
    if ((field.source === 'workflow') !== (scope === 'workflow')) continue;
    const value =
      field.source === 'event'
        ? eventValue(subjects.event, field.path)
        : lookup(subjects[field.source], field.path);
    const problem = check(rule, value, budget);
    if (problem)
      failures.push(
        rule.message ? `${rule.field}: ${rule.message} (${problem})` : `${rule.field} ${problem}`,
      );
  }
  return failures;
}
