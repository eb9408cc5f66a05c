// The workflows the scale profile fills the caches with: play workflows suspended by the real
// Argo controller at their first gate, in three shapes. Most are the plain play; one in twenty
// first runs a history step fanned out into hundreds of skipped nodes; one in a hundred fans out
// over items long enough that the object passes Argo's 1 MiB limit, so the controller stores
// its nodes as status.compressedNodes. Skipped steps need no pods, so the plane runs all three.
import type { Workflow } from '../src/api/workflow.js';
import { playWorkflow } from './workflows.js';

export type WorkflowShape = 'plain' | 'wide' | 'compressed';

/** Nodes the history step of a wide workflow adds. */
const WIDE_NODES = 300;
/** Items of a compressed workflow's history step, and each item's length. */
const COMPRESSED_ITEMS = 1000;
const COMPRESSED_ITEM_CHARS = 400;

export function shapeOf(index: number): WorkflowShape {
  if (index % 100 === 99) return 'compressed';
  if (index % 20 === 9) return 'wide';
  return 'plain';
}

/** A history step whose every expansion is skipped: it adds nodes and never runs anything. */
function historyStep(shape: 'wide' | 'compressed'): Record<string, unknown> {
  const expansion =
    shape === 'wide'
      ? { withSequence: { count: String(WIDE_NODES) } }
      : {
          withItems: Array.from(
            { length: COMPRESSED_ITEMS },
            (_, i) => `${String(i).padStart(4, '0')}-${'x'.repeat(COMPRESSED_ITEM_CHARS)}`,
          ),
        };
  return { name: 'history', template: 'history', when: '1 == 0', ...expansion };
}

/** A play workflow of the given shape, named `name`, for task `name`. */
export function scaleWorkflow(name: string, shape: WorkflowShape): Workflow {
  const workflow = playWorkflow(name, name);
  if (shape === 'plain') return workflow;
  const templates = workflow.spec!.templates as Array<{ name: string; steps?: unknown[][] }>;
  const play = templates.find((template) => template.name === workflow.spec!.entrypoint)!;
  play.steps = [[historyStep(shape)], ...play.steps!];
  templates.push({ name: 'history', suspend: {} } as (typeof templates)[number]);
  return workflow;
}
