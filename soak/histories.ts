// The GitHub histories the soak plays, planned up front from the seed (pure, so a run replays):
// for every task, the play workflow runs to create and the deliveries to make, with the disorder
// GitHub really produces. Every delivery says what it is, so the checks at the end know which
// requests carried a valid event and which ones policy must refuse.
import { defaultDomainConfig } from '../src/domain/config.js';
import { Random } from '../bench/random.js';
import type { OutsiderPolicy } from './settings.js';

export const STAGES = defaultDomainConfig.stages;

export type DeliveryKind =
  /** The event that advances its stage. */
  | 'valid'
  /** The same event again under another delivery id (two approvals, a label added twice), at once. */
  | 'duplicate'
  /** Another delivery of the event long after its stage has passed. */
  | 'late'
  /** Another delivery of the event whose request is deleted soon after it is created. */
  | 'deleted'
  /** GitHub's redelivery: the very same delivery (same id), seconds to minutes later. */
  | 'redelivery'
  /** A label other than ready-for-qa: the Sensor filters it out. */
  | 'unrelated-label'
  /**
   * A second reviewer's review that comments (the Sensor filters it out) or requests changes
   * (forwarded: it withdraws nothing but that reviewer's own approval).
   */
  | 'non-approving-review'
  /** Outsiders' events that policy must refuse: another repository's pull request, ... */
  | 'foreign-repository'
  /** ... an approval from an account without write access, ... */
  | 'untrusted-review'
  /** ... a pull request from a fork (opened, or labelled ready). */
  | 'fork'
  /** A ResumeRequest kept in Git and applied by a GitOps tool, instead of the GitHub event. */
  | 'manual'
  /** The GitOps tool applying the same manifest again. */
  | 'manual-resync';

/** Kinds whose requests carry an event that, once its stage is reached, must resume it. */
export const VALID_KINDS: ReadonlySet<DeliveryKind> = new Set([
  'valid',
  'duplicate',
  'late',
  'deleted',
  'redelivery',
  'manual',
  'manual-resync',
]);
/** Kinds that policy must refuse: they may never advance a stage. */
export const REFUSED_KINDS: ReadonlySet<DeliveryKind> = new Set([
  'foreign-repository',
  'untrusted-review',
  'fork',
]);

export interface Delivery {
  /** When to make it, from the start of the play. */
  atMs: number;
  task: string;
  /** The run (workflow) the event is about; it is created before the delivery is made. */
  run: string;
  /** Index into STAGES. */
  stage: number;
  kind: DeliveryKind;
  /** X-GitHub-Delivery (a redelivery repeats its original's); the request name for manual ones. */
  deliveryId: string;
  /** For 'deleted': how long after its creation the request is deleted. */
  deleteAfterMs?: number;
}

export interface RunPlan {
  name: string;
  task: string;
  createAtMs: number;
  /** The task's last run: every one of its stages must end resumed exactly once. */
  live: boolean;
  /** A run replaced by a re-run is terminated (after its own deliveries have been made). */
  terminateAtMs?: number;
}

export interface TaskPlan {
  task: string;
  runs: RunPlan[];
  deliveries: Delivery[];
}

export interface PlanOptions {
  tasks: number;
  seconds: number;
  seed: number;
  outsiders: OutsiderPolicy;
  /**
   * The first task id (default 1000); the rest follow. It also tags every delivery id, so runs
   * that share a namespace (the pipeline's) and a seed still never share a task or a delivery.
   */
  firstTask?: number;
}

/** The fraction of the run during which deliveries are made; the rest lets redeliveries land. */
export const PLAY_FRACTION = 0.85;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export function planHistories(options: PlanOptions): TaskPlan[] {
  const random = new Random(options.seed);
  const firstTask = options.firstTask ?? 1000;
  const tag = firstTask.toString(16).padStart(8, '0').slice(-8);
  const totalMs = options.seconds * 1000;
  const lastMs = Math.floor(totalMs * PLAY_FRACTION);
  const spanMs = clamp(totalMs * 0.2, 5000, 30_000);
  const redeliveryMaxMs = clamp(totalMs * 0.3, 2000, 120_000);
  const startsUntilMs = Math.max(0, lastMs - spanMs - 5000);
  const outsiderKinds: DeliveryKind[] =
    options.outsiders === 'all' ? ['foreign-repository', 'untrusted-review', 'fork'] : ['foreign-repository'];
  const at = (ms: number) => clamp(Math.round(ms), 0, lastMs);

  return Array.from({ length: options.tasks }, (_, index) => {
    const task = String(firstTask + index);
    const startMs = Math.round((startsUntilMs * index) / Math.max(1, options.tasks - 1));
    const deliveries: Delivery[] = [];
    const add = (delivery: Omit<Delivery, 'task' | 'deliveryId'> & { deliveryId?: string }) => {
      const made = {
        task,
        ...delivery,
        deliveryId: delivery.deliveryId ?? tag + random.deliveryId().slice(8),
        atMs: at(delivery.atMs),
      };
      deliveries.push(made);
      return made;
    };

    const rerun = random.chance(0.08);
    const first: RunPlan = { name: `soak-${task}-a`, task, createAtMs: startMs, live: !rerun };
    const runs = [first];
    let live = first;
    let stagesFrom = 0;
    let liveStartMs = startMs;
    if (rerun) {
      // The first run gets its pr-created event, then a user stops it and starts the task again;
      // the new run's first gate is opened by hand (GitHub sends no second `opened`).
      const created = add({
        atMs: startMs + random.int(300, 2000),
        run: first.name,
        stage: 0,
        kind: 'valid',
      });
      if (random.chance(0.5))
        add({
          ...created,
          atMs: created.atMs + random.int(0, 300),
          deliveryId: undefined,
          kind: 'duplicate',
        });
      first.terminateAtMs = created.atMs + 4000;
      liveStartMs = first.terminateAtMs + 500;
      live = { name: `soak-${task}-b`, task, createAtMs: liveStartMs, live: true };
      runs.push(live);
      add({
        atMs: liveStartMs + random.int(500, 3000),
        run: live.name,
        stage: 0,
        kind: 'manual',
        deliveryId: `manual-${task}-b-0`,
      });
      stagesFrom = 1;
      if (random.chance(0.5))
        add({
          atMs: created.atMs + random.int(2000, redeliveryMaxMs),
          run: first.name,
          stage: 0,
          kind: 'redelivery',
          deliveryId: created.deliveryId,
        });
    }

    const manualStage = !rerun && random.chance(0.1) ? random.int(0, 2) : -1;
    const valids: Delivery[] = [];
    for (let stage = stagesFrom; stage < STAGES.length; stage++) {
      const atMs = liveStartMs + 500 + random.int(0, spanMs);
      if (stage === manualStage) {
        const name = `manual-${task}-${stage}`;
        valids.push(add({ atMs, run: live.name, stage, kind: 'manual', deliveryId: name }));
        add({
          atMs: atMs + random.int(3000, 15_000),
          run: live.name,
          stage,
          kind: 'manual-resync',
          deliveryId: name,
        });
      } else {
        valids.push(add({ atMs, run: live.name, stage, kind: 'valid' }));
      }
    }
    const github = valids.filter((delivery) => delivery.kind === 'valid');
    const some = () => random.pick(github);
    const endMs = Math.max(...valids.map((delivery) => delivery.atMs));

    if (github.length > 0) {
      if (random.chance(0.3)) {
        const original = some();
        add({
          ...original,
          atMs: original.atMs + random.int(0, 200),
          deliveryId: undefined,
          kind: 'duplicate',
        });
      }
      if (random.chance(0.4)) {
        const original = some();
        add({ ...original, atMs: original.atMs + random.int(2000, redeliveryMaxMs), kind: 'redelivery' });
      }
      if (random.chance(0.15)) {
        const original = some();
        const copy = add({
          ...original,
          atMs: original.atMs + random.int(0, 1000),
          deliveryId: undefined,
          kind: 'deleted',
          deleteAfterMs: random.int(0, 3000),
        });
        // Deleted, then delivered again: the request comes back under the same name.
        if (random.chance(0.3))
          add({
            ...copy,
            atMs: copy.atMs + random.int(4000, redeliveryMaxMs + 4000),
            deleteAfterMs: undefined,
            kind: 'redelivery',
          });
      }
      if (random.chance(0.15)) {
        const original = some();
        add({ ...original, atMs: endMs + random.int(2000, 10_000), deliveryId: undefined, kind: 'late' });
      }
    }
    if (random.chance(0.3))
      add({ atMs: liveStartMs + random.int(0, spanMs), run: live.name, stage: 1, kind: 'unrelated-label' });
    if (random.chance(0.3))
      add({
        atMs: liveStartMs + random.int(0, spanMs),
        run: live.name,
        stage: 2,
        kind: 'non-approving-review',
      });
    if (random.chance(0.3)) {
      const kind = random.pick(outsiderKinds);
      const stage =
        kind === 'untrusted-review'
          ? 2
          : kind === 'fork'
            ? random.int(stagesFrom, 1)
            : random.int(stagesFrom, 2);
      const target = valids.find((delivery) => delivery.stage === stage);
      // Just before the valid event, so a stage the outsider wrongly advances shows as such.
      add({ atMs: (target?.atMs ?? liveStartMs) - random.int(200, 2000), run: live.name, stage, kind });
    }
    deliveries.sort((a, b) => a.atMs - b.atMs);
    return { task, runs, deliveries };
  });
}
