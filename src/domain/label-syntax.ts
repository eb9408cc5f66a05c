// Kubernetes label syntax, checked here before any string reaches a selector: a value that passed
// these checks cannot carry selector operators, commas, spaces or parentheses.
import { LABEL_VALUE_MAX, LABEL_VALUE_PATTERN } from '../api/syntax.js';

const labelValue = new RegExp(LABEL_VALUE_PATTERN);
const nameSegment = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A non-empty label value (empty values are legal in Kubernetes but never name a task). */
export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= LABEL_VALUE_MAX && labelValue.test(value);
}

/** A label or annotation key: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63. */
export function isQualifiedName(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  const slash = key.indexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (name.length === 0 || name.length > 63 || !nameSegment.test(name)) return false;
  if (slash === -1) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && prefix.length <= 253 && dnsSubdomain.test(prefix);
}
