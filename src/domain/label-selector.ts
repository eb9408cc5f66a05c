// Kubernetes label selectors, parsed into requirements and printed back from them. A selector
// the operator sends is always printed from requirements whose keys and values passed the label
// syntax checks, never copied from user input, and the same requirements filter workflows in
// memory so a too-wide list can never reach a decision.
import { isLabelValue, isQualifiedName } from './label-syntax.js';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type ParsedSelector = { ok: true; requirements: LabelRequirement[] } | { ok: false; message: string };

const MAX_REQUIREMENTS = 20;
const KEY = '([A-Za-z0-9._/-]+)';
const exists = new RegExp(`^${KEY}$`);
const doesNotExist = new RegExp(`^!\\s*${KEY}$`);
const equality = new RegExp(`^${KEY}\\s*(==|=|!=)\\s*([^\\s=!(),]*)$`);
const setBased = new RegExp(`^${KEY}\\s+(in|notin)\\s*\\(([^()]*)\\)$`);

/** Splits on the commas that separate requirements, not those inside `in (…)` lists. */
function splitRequirements(selector: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth < 0 || depth > 1) return undefined;
    if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(selector.slice(start));
  return parts.map((part) => part.trim());
}

function checkValue(value: string): string | undefined {
  // An empty value is legal and selects `key=""`; anything else must be a label value.
  return value === '' || isLabelValue(value) ? undefined : `"${value}" is not a valid label value`;
}

function parseRequirement(text: string): LabelRequirement | string {
  let match: RegExpExecArray | null;
  let requirement: LabelRequirement;
  if ((match = doesNotExist.exec(text)))
    requirement = { key: match[1]!, operator: 'DoesNotExist', values: [] };
  else if ((match = exists.exec(text))) requirement = { key: match[1]!, operator: 'Exists', values: [] };
  else if ((match = equality.exec(text))) {
    requirement = { key: match[1]!, operator: match[2] === '!=' ? 'NotIn' : 'In', values: [match[3]!] };
  } else if ((match = setBased.exec(text))) {
    const values = match[3]!.split(',').map((value) => value.trim());
    requirement = { key: match[1]!, operator: match[2] === 'notin' ? 'NotIn' : 'In', values };
  } else {
    return `"${text}" is not a label selector requirement`;
  }
  if (!isQualifiedName(requirement.key)) return `"${requirement.key}" is not a valid label key`;
  for (const value of requirement.values) {
    const problem = checkValue(value);
    if (problem) return problem;
  }
  return requirement;
}

/** Parses a selector in Kubernetes syntax; the empty string selects everything. */
export function parseLabelSelector(selector: string): ParsedSelector {
  if (selector.trim() === '') return { ok: true, requirements: [] };
  const parts = splitRequirements(selector);
  if (!parts) return { ok: false, message: 'unbalanced parentheses' };
  if (parts.length > MAX_REQUIREMENTS)
    return { ok: false, message: `more than ${MAX_REQUIREMENTS} requirements` };
  const requirements: LabelRequirement[] = [];
  for (const part of parts) {
    const parsed = parseRequirement(part);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    requirements.push(parsed);
  }
  return { ok: true, requirements };
}

function formatRequirement({ key, operator, values }: LabelRequirement): string {
  switch (operator) {
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'In':
      return values.length === 1 ? `${key}=${values[0]}` : `${key} in (${values.join(',')})`;
    case 'NotIn':
      return values.length === 1 ? `${key}!=${values[0]}` : `${key} notin (${values.join(',')})`;
  }
}

/** Prints requirements in Kubernetes syntax; throws if one would not survive a round trip. */
export function formatLabelSelector(requirements: readonly LabelRequirement[]): string {
  for (const { key, values } of requirements) {
    if (!isQualifiedName(key) || values.some((value) => checkValue(value) !== undefined)) {
      throw new Error(`refusing to build a label selector from unchecked input (key ${JSON.stringify(key)})`);
    }
  }
  return requirements.map(formatRequirement).join(',');
}

/** Kubernetes semantics: `NotIn` and `DoesNotExist` match objects without the label. */
export function matchesLabelSelector(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return requirements.every(({ key, operator, values }) => {
    const value = labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
    switch (operator) {
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
    }
  });
}
