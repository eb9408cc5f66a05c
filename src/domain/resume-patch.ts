// The resume as a JSON merge patch built from the copy of the workflow the decision was made on,
// so the happy path writes without reading first. The patch names the uid and resourceVersion of
// that copy: the API server applies it to exactly that version of exactly that workflow, or
// answers 409. It touches only what applyResume changes: the node (phase, finishedAt, message,
// outputs), the marker and the annotations written with it, and spec.suspend.
//
// Three cases need the whole object instead, and get `undefined`: a node map Argo stored compressed
// (it is rewritten whole, and a patch to status.nodes would leave Argo reading a one-node map), a
// supplied value copied to a global output (status.outputs is not part of the cache's copy), and
// a node whose message or outputs the cache's copy had to cut (they would be written back cut).
import type { Workflow } from '../api/workflow.js';
import { nodesStoredCompressed } from './compressed-nodes.js';
import type { Reason } from './reasons.js';
import { applyResume, type ResumeMutation } from './resume-mutation.js';

export type ResumePatch =
  | { ok: true; changed: true; patch: Record<string, unknown> }
  /** This request's resume is already in the copy: nothing to write. */
  | { ok: true; changed: false }
  | { ok: false; reason: Reason; message: string };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function resumePatch(decidedOn: Workflow, mutation: ResumeMutation): ResumePatch | undefined {
  const { uid, resourceVersion } = decidedOn.metadata;
  if (resourceVersion === undefined || decidedOn.nodesWereCompressed === true) return undefined;
  if (decidedOn.projection?.clippedNodes?.includes(mutation.nodeId)) return undefined;
  if (nodesStoredCompressed(decidedOn.status)) return undefined;
  const result = applyResume(decidedOn, mutation);
  if (!result.ok) return result;
  if (!result.changed) return { ok: true, changed: false };
  const next = result.workflow;
  if (!same(next.status?.outputs, decidedOn.status?.outputs)) return undefined;

  const before = decidedOn.status!.nodes![mutation.nodeId]!;
  const after = next.status!.nodes![mutation.nodeId]!;
  const node: Record<string, unknown> = {
    phase: after.phase,
    finishedAt: after.finishedAt,
    message: after.message,
  };
  if (!same(after.outputs, before.outputs)) node.outputs = after.outputs;
  return {
    ok: true,
    changed: true,
    patch: {
      metadata: {
        ...(uid === undefined ? {} : { uid }),
        resourceVersion,
        annotations: { ...mutation.annotations, [mutation.markerKey]: mutation.markerValue },
      },
      ...(decidedOn.spec?.suspend === true && !mutation.keepWorkflowSuspended
        ? { spec: { suspend: null } }
        : {}),
      status: { nodes: { [mutation.nodeId]: node } },
    },
  };
}
