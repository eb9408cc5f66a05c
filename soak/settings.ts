// The soak's knobs, from the environment, validated up front and bounded, so that no setting can
// make a run unbounded in time or in the number of objects it creates.
import { z } from 'zod';
import { parseEnvSettings } from '../bench/env-settings.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Which outsiders' events the generator sends, each one an event that policy must refuse.
 * `repository`: events from another repository than the workflow's `repository` label, the rule
 * the operator enforces by correlation. `all` adds what the GitHub trust policy refuses: approvals
 * from accounts without write access (author_association not OWNER, MEMBER or COLLABORATOR) and
 * pull requests opened or labelled from forks.
 */
export const OUTSIDER_POLICIES = ['repository', 'all'] as const;
export type OutsiderPolicy = (typeof OUTSIDER_POLICIES)[number];

const settingsSchema = z.object({
  /** How long events and faults are played; the checks and tear-down come after. */
  SOAK_SECONDS: int(20, 3600).default(300),
  /** Tasks whose GitHub histories are played (one play workflow each, two for re-run tasks). */
  SOAK_TASKS: int(1, 2000).default(200),
  /** Seeds the histories and the fault schedule, so a run can be replayed. */
  SOAK_SEED: int(0, 2 ** 31 - 1).default(1),
  SOAK_OUTSIDERS: z.enum(OUTSIDER_POLICIES).default('all'),
  /** How long, after the last fault, the operator has to settle every request. */
  SOAK_SETTLE_SECONDS: int(10, 900).default(120),
  /** An existing plane directory to use (left running); otherwise a temporary one is started. */
  PLANE_DIR: z.string().min(1).optional(),
  /**
   * 1: on a plane with a real node, the operator is the chart's Deployment (the image from
   * `make image`, OPERATOR_IMAGE), and the chaos deletes its pods and rolls it as well.
   */
  NODE: z.enum(['0', '1', '']).default('0'),
  OPERATOR_IMAGE: z.string().min(1).default('localhost/workflow-resume-operator:dev'),
});

export interface SoakSettings {
  seconds: number;
  tasks: number;
  seed: number;
  outsiders: OutsiderPolicy;
  settleSeconds: number;
  planeDir: string | undefined;
  /** The operator's replicas: processes here, or the chart's Deployment on a node (with its image). */
  deployment: { image: string } | undefined;
  /** Hard limit on the whole run: plane start, play, settle, checks and tear-down. */
  deadlineMs: number;
}

/** Plane start-up (a cold one builds nothing: `make soak` builds first), workflows, tear-down. */
const OVERHEAD_MS = 300_000;
/** With NODE=1: the node's start-up, the image's load, the chart's install and uninstall. */
const NODE_OVERHEAD_MS = 300_000;

export function loadSettings(env: NodeJS.ProcessEnv): SoakSettings {
  const s = parseEnvSettings(settingsSchema, env, 'soak');
  return {
    seconds: s.SOAK_SECONDS,
    tasks: s.SOAK_TASKS,
    seed: s.SOAK_SEED,
    outsiders: s.SOAK_OUTSIDERS,
    settleSeconds: s.SOAK_SETTLE_SECONDS,
    planeDir: s.PLANE_DIR,
    deployment: s.NODE === '1' ? { image: s.OPERATOR_IMAGE } : undefined,
    deadlineMs:
      (s.SOAK_SECONDS + s.SOAK_SETTLE_SECONDS) * 1000 + OVERHEAD_MS + (s.NODE === '1' ? NODE_OVERHEAD_MS : 0),
  };
}
