// Argo's node field selectors (`argo resume --node-field-selector`): comma-separated terms
// `field=value`, `field==value` or `field!=value` over the node fields Argo's
// SelectorMatchesNode exposes, with `\` escaping `,`, `=` and `\` inside values (Kubernetes
// field selector escaping).
import type { WorkflowNode } from '../api/workflow.js';

export interface NodeFieldTerm {
  field: string;
  negated: boolean;
  value: string;
}

export type ParsedNodeFieldSelector = { ok: true; terms: NodeFieldTerm[] } | { ok: false; message: string };

const MAX_TERMS = 10;
const FIXED_FIELDS = new Set([
  'displayName',
  'templateName',
  'phase',
  'name',
  'id',
  'templateRef.name',
  'templateRef.template',
]);
const inputParameterField = /^inputs\.parameters\.[A-Za-z0-9_-]+\.value$/;

/** Splits at unescaped `separator`s, keeping escapes so a second pass can still see them. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescape(value: string): string | undefined {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[i + 1];
      if (next === undefined || !'\\,='.includes(next)) return undefined;
      out += next;
      i++;
    } else if (c === '=' || c === ',') {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

function parseTerm(text: string): NodeFieldTerm | string {
  const match = /^([A-Za-z0-9._-]+)\s*(==|=|!=)\s*(.*)$/s.exec(text.trim());
  if (!match) return `"${text}" is not a field selector term`;
  const field = match[1]!;
  if (!FIXED_FIELDS.has(field) && !inputParameterField.test(field)) {
    return `"${field}" is not a node field (use displayName, templateName, phase, name, id, templateRef.name, templateRef.template or inputs.parameters.NAME.value)`;
  }
  const value = unescape(match[3]!.trim());
  if (value === undefined) return `the value of "${field}" has an unescaped or invalid escape character`;
  return { field, negated: match[2] === '!=', value };
}

export function parseNodeFieldSelector(selector: string): ParsedNodeFieldSelector {
  if (selector.trim() === '') return { ok: false, message: 'the node field selector is empty' };
  const parts = splitUnescaped(selector, ',');
  if (parts.length > MAX_TERMS) return { ok: false, message: `more than ${MAX_TERMS} terms` };
  const terms: NodeFieldTerm[] = [];
  for (const part of parts) {
    const term = parseTerm(part);
    if (typeof term === 'string') return { ok: false, message: term };
    terms.push(term);
  }
  return { ok: true, terms };
}

/** Argo's GetTemplateFromNode: a templateRef's template wins over templateName. */
export function templateOf(node: WorkflowNode): string | undefined {
  return node.templateRef ? node.templateRef.template : node.templateName;
}

function fieldValue(node: WorkflowNode, field: string): string {
  switch (field) {
    case 'displayName':
      return node.displayName ?? '';
    case 'templateName':
      return templateOf(node) ?? '';
    case 'phase':
      return node.phase ?? '';
    case 'name':
      return node.name;
    case 'id':
      return node.id;
    case 'templateRef.name':
      return node.templateRef?.name ?? '';
    case 'templateRef.template':
      return node.templateRef?.template ?? '';
  }
  const parameter = field.split('.')[2];
  const found = node.inputs?.parameters?.find((p) => p.name === parameter);
  return found?.value === undefined ? '' : String(found.value);
}

/** As Argo's fields.Set matching: a field the node lacks reads as the empty string. */
export function matchesNodeFieldSelector(terms: readonly NodeFieldTerm[], node: WorkflowNode): boolean {
  return terms.every(({ field, negated, value }) => (fieldValue(node, field) === value) !== negated);
}
