// What the workflow cache keeps of one Suspend node: the fields the decision reads and the
// resume patch writes back, each bounded. Argo sets no length on any of them, so nothing is
// refused for its length: a text longer than NODE_TEXT_MAX is cut and ends in `…`, which makes it
// longer than anything it is compared with (a node field selector, a stage's node name) and so
// never equal to it. A node whose message or output parameters could not be kept whole is
// marked `clipped`: its resume is not built from the cached copy but written from a fresh read of
// the workflow (backends/kubernetes-backend.ts), so nothing cut here is ever written back.
import type { WorkflowNode, WorkflowParameter } from '../api/workflow.js';
import { clipCodePoints, codePointLength } from '../api/text-length.js';

/** Longest text kept of a node field, in code points. */
export const NODE_TEXT_MAX = 1024;
/** Input parameters kept per node (the node field selector reads them by name). */
export const NODE_INPUT_PARAMETERS_MAX = 64;
/** Output parameters are kept whole, as JSON of at most this many characters, or not at all. */
export const NODE_OUTPUTS_MAX = 16 * 1024;
/** Ids are Argo's: the workflow's name and a hash. A longer one was not written by Argo. */
const NODE_ID_MAX = 512;
const ELLIPSIS = '…';

export interface ProjectedNode {
  node: WorkflowNode;
  /** Characters of the copy as JSON: what it costs the cache, roughly. */
  bytes: number;
  /** Its message or outputs were cut: a resume must not be built from this copy. */
  clipped: boolean;
}

/** Thrown for a node whose fields have types Argo never writes. */
export class UnreadableNode extends Error {}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The text cut to NODE_TEXT_MAX, marked with `…` when something was left out. */
function bounded(text: string): { text: string; cut: boolean } {
  // A code point is one or two UTF-16 units: only a text of up to twice the limit needs counting,
  // and a message of megabytes is never walked through.
  const fits =
    text.length <= NODE_TEXT_MAX ||
    (text.length <= 2 * NODE_TEXT_MAX && codePointLength(text) <= NODE_TEXT_MAX);
  if (fits) return { text, cut: false };
  return { text: clipCodePoints(text, NODE_TEXT_MAX) + ELLIPSIS, cut: true };
}

/** A text field as Argo writes it: a string, or null or absent when unset. */
function textField(owner: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = owner[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new UnreadableNode(`${where}${key}: expected a string`);
  return bounded(value).text;
}

/** Argo reads a parameter's value as a string even when JSON gives a number or a boolean. */
function parameterValue(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return bounded(value).text;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnreadableNode(`${where}value: expected a string`);
}

function parameterList(io: unknown, where: string): unknown[] | undefined {
  if (io === undefined || io === null) return undefined;
  if (!isRecord(io)) throw new UnreadableNode(`${where}: expected an object`);
  const parameters = io.parameters;
  if (parameters === undefined || parameters === null) return undefined;
  if (!Array.isArray(parameters)) throw new UnreadableNode(`${where}.parameters: expected a list`);
  parameters.forEach((parameter, i) => {
    if (!isRecord(parameter) || typeof parameter.name !== 'string')
      throw new UnreadableNode(`${where}.parameters.${i}: expected a parameter with a name`);
  });
  return parameters;
}

/** Name and value of the first input parameters: what `inputs.parameters.NAME.value` selects. */
function inputParameters(raw: Record<string, unknown>): WorkflowParameter[] | undefined {
  const parameters = parameterList(raw.inputs, 'inputs');
  if (!parameters) return undefined;
  return parameters.slice(0, NODE_INPUT_PARAMETERS_MAX).map((entry, i) => {
    const parameter = entry as Record<string, unknown>;
    const value = parameterValue(parameter.value, `inputs.parameters.${i}.`);
    return { name: bounded(parameter.name as string).text, ...(value === undefined ? {} : { value }) };
  });
}

/** The output parameters whole, as a resume writes them back, or `cut` when they are too large. */
function outputParameters(raw: Record<string, unknown>): { parameters?: WorkflowParameter[]; cut: boolean } {
  const parameters = parameterList(raw.outputs, 'outputs');
  if (!parameters) return { cut: false };
  const json = JSON.stringify(parameters);
  if (json.length > NODE_OUTPUTS_MAX) return { cut: true };
  return { parameters: JSON.parse(json) as WorkflowParameter[], cut: false };
}

/** The bounded copy of the Suspend node stored under `id`; throws UnreadableNode when it cannot be read. */
export function projectSuspendNode(id: string, raw: Record<string, unknown>): ProjectedNode {
  if (raw.id !== id) throw new UnreadableNode('its id is not its key in the node map');
  if (id.length > NODE_ID_MAX) throw new UnreadableNode(`its id is longer than ${NODE_ID_MAX} characters`);
  if (typeof raw.name !== 'string') throw new UnreadableNode('name: expected a string');
  const templateRef = raw.templateRef;
  if (templateRef !== undefined && templateRef !== null && !isRecord(templateRef))
    throw new UnreadableNode('templateRef: expected an object');
  const message = typeof raw.message === 'string' ? bounded(raw.message) : undefined;
  if (raw.message !== undefined && raw.message !== null && message === undefined)
    throw new UnreadableNode('message: expected a string');
  const inputs = inputParameters(raw);
  const outputs = outputParameters(raw);
  const text = (key: string) => textField(raw, key, '');
  const node: WorkflowNode = { id, name: bounded(raw.name).text, type: 'Suspend' };
  for (const key of [
    'displayName',
    'phase',
    'templateName',
    'startedAt',
    'finishedAt',
    'boundaryID',
  ] as const) {
    const value = text(key);
    if (value !== undefined) node[key] = value;
  }
  if (isRecord(templateRef)) {
    const name = textField(templateRef, 'name', 'templateRef.');
    const template = textField(templateRef, 'template', 'templateRef.');
    node.templateRef = {
      ...(name === undefined ? {} : { name }),
      ...(template === undefined ? {} : { template }),
    };
  }
  if (message !== undefined) node.message = message.text;
  if (inputs) node.inputs = { parameters: inputs };
  if (outputs.parameters) node.outputs = { parameters: outputs.parameters };
  return { node, bytes: JSON.stringify(node).length, clipped: (message?.cut ?? false) || outputs.cut };
}
