// The hostile profile: one operator with stock settings serves two namespaces, and one of them
// tries its worst: thirty 21 KB workflows whose compressed status inflates to a 15 MiB Suspend
// message, workflows heavier than its share of the cache, a relabel loop on a bomb and on a
// heavy workflow, and requests whose rules read the workflow to resume whole with costly
// patterns. The other namespace's play is resumed before and during the attack. Reported: the
// operator's RSS (ready, after the attack, and its peak, against the Deployment's 256 MiB
// request), what the cache skipped by reason, and the other tenant's time to resume.
import * as k8s from '@kubernetes/client-node';
import { API_VERSION, KIND, type ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import { mergePatch } from '../src/runtime/api-call.js';
import type { Deadline } from './deadline.js';
import { heavyWorkflow, nodeStatusBomb } from './hostile-workflows.js';
import { createNamespace } from './namespaces.js';
import { startOperatorProcess } from './operator-process.js';
import { peakRssMiB, rssMiB } from './peak-rss.js';
import type { BenchPlane } from './plane.js';
import { watchPlays } from './play-watches.js';
import { progress } from './progress.js';
import {
  createPrCreatedRequest,
  hasSucceeded,
  requestCollection,
  settledOtherwise,
} from './resume-requests.js';
import { createSuspendedWorkflows, workflowCollection } from './workflows.js';

const BOMBS = 30;
const BOMB_INFLATED_BYTES = 15 << 20;
/** Each about 510 KB in the cache: at the stock 8 MiB a namespace, the last few do not fit. */
const HEAVY = 20;
const HEAVY_NODES = 300;
const RELABELS = 200;
const RULE_REQUESTS = 20;
/** The Deployment's memory request (config/manager/deployment.yaml). */
const MEMORY_REQUEST_MIB = 256;
const SETTLE_MS = 3000;

export interface HostileReport {
  profile: 'hostile';
  attack: {
    bombs: number;
    bomb_etcd_bytes: number;
    bomb_inflated_mib: number;
    heavy_workflows: number;
    relabels: number;
    rule_requests: number;
  };
  rss_mib: { ready: number; after_attack: number; peak: number; memory_request: number };
  skipped: Record<string, number>;
  tenant_resume_ms: { quiet: number; under_attack: number };
  relabel_ms: number;
  rule_requests_settled: boolean;
  operator_alive: boolean;
}

/** workflow_resume_objects_skipped_total{kind="Workflow"} by reason. */
function skippedByReason(metrics: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const match of metrics.matchAll(
    /^workflow_resume_objects_skipped_total\{kind="Workflow",reason="([A-Za-z]+)"\} (\d+)$/gm,
  ))
    found[match[1]!] = Number(match[2]);
  return found;
}

export async function runHostile(options: { plane: BenchPlane; deadline: Deadline }): Promise<HostileReport> {
  const { plane, deadline } = options;
  const kubeConfig = plane.kubeConfig;
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const hostile = await createNamespace(kubeConfig, 'bench-hostile', deadline);
  const tenant = await createNamespace(kubeConfig, 'bench-tenant', deadline);
  const operator = await startOperatorProcess({ plane, namespaces: [hostile, tenant], deadline });
  const tenantWatch = await watchPlays(kubeConfig, tenant, deadline);
  const hostileWatch = await watchPlays(kubeConfig, hostile, deadline);
  try {
    await operator.waitUntilLeading(deadline);
    progress(`hostile: plays suspended in ${tenant} (quiet, attacked) and a bait in ${hostile}`);
    await createSuspendedWorkflows({
      kubeConfig,
      watch: tenantWatch.workflows,
      namespace: tenant,
      names: ['quiet', 'attacked'],
      deadline,
    });
    await createSuspendedWorkflows({
      kubeConfig,
      watch: hostileWatch.workflows,
      namespace: hostile,
      names: ['bait'],
      deadline,
    });
    await deadline.sleep('the operator to settle', SETTLE_MS);
    const ready = rssMiB(operator.pid);

    const resume = async (name: string) => {
      const started = performance.now();
      await createPrCreatedRequest(api, tenant, `${name}-created`, name);
      const done = await deadline.within(
        `${tenant}/${name} to be resumed`,
        tenantWatch.requests.until(`${name}-created`, hasSucceeded, settledOtherwise),
      );
      return done.atMs - started;
    };
    const quiet = await resume('quiet');
    progress(`hostile: the quiet play resumed in ${quiet.toFixed(0)} ms; the attack starts`);

    const create = (workflow: Workflow) =>
      api.createNamespacedCustomObject({ ...workflowCollection(hostile), body: workflow });
    const relabel = (name: string, i: number) =>
      api.patchNamespacedCustomObject(
        { ...workflowCollection(hostile), name, body: { metadata: { labels: { loop: String(i) } } } },
        mergePatch,
      );
    let relabelMs = 0;
    const attack = (async () => {
      for (let i = 0; i < BOMBS; i++) await create(nodeStatusBomb(hostile, `bomb-${i}`, BOMB_INFLATED_BYTES));
      for (let i = 0; i < HEAVY; i++) await create(heavyWorkflow(hostile, `heavy-${i}`, HEAVY_NODES));
      const relabelStarted = performance.now();
      for (let i = 0; i < RELABELS; i++) await relabel(i % 2 === 0 ? 'bomb-0' : 'heavy-0', i);
      relabelMs = performance.now() - relabelStarted;
      await Promise.all(
        Array.from({ length: RULE_REQUESTS }, (_, i) =>
          api.createNamespacedCustomObject({
            ...requestCollection(hostile),
            body: {
              apiVersion: API_VERSION,
              kind: KIND,
              metadata: { name: `rules-${i}`, namespace: hostile },
              spec: {
                taskId: 'bait',
                eventType: 'pr-created',
                validationRules: [
                  { field: "workflow.metadata.labels['team']", operator: 'Exists' },
                  ...Array.from({ length: 19 }, (_, k) => ({
                    field: 'workflow.spec.entrypoint',
                    operator: 'Matches' as const,
                    value: `[a-z]{${100 + k}}|(?:\\pL|\\pN){${200 + i}}`,
                  })),
                ],
              },
            } satisfies ResumeRequest,
          }),
        ),
      );
    })();
    // The other tenant's event arrives while the attack is under way.
    await deadline.sleep('the attack to begin', 500);
    const underAttack = await resume('attacked');
    progress(`hostile: the attacked play resumed in ${underAttack.toFixed(0)} ms`);
    await deadline.within('the attack to be sent', attack);
    const settled = await Promise.all(
      Array.from({ length: RULE_REQUESTS }, (_, i) =>
        deadline.within(
          `rules-${i} to settle`,
          hostileWatch.requests.until(`rules-${i}`, (request) => request.status?.phase === 'Failed'),
        ),
      ),
    );
    await deadline.sleep('the operator to settle after the attack', SETTLE_MS);
    const report: HostileReport = {
      profile: 'hostile',
      attack: {
        bombs: BOMBS,
        bomb_etcd_bytes: JSON.stringify(nodeStatusBomb(hostile, 'bomb-0', BOMB_INFLATED_BYTES)).length,
        bomb_inflated_mib: BOMB_INFLATED_BYTES / (1 << 20),
        heavy_workflows: HEAVY,
        relabels: RELABELS,
        rule_requests: RULE_REQUESTS,
      },
      rss_mib: {
        ready: round(ready),
        after_attack: round(rssMiB(operator.pid)),
        peak: round(peakRssMiB(operator.pid)),
        memory_request: MEMORY_REQUEST_MIB,
      },
      skipped: skippedByReason(await operator.metrics()),
      tenant_resume_ms: { quiet: Math.round(quiet), under_attack: Math.round(underAttack) },
      relabel_ms: Math.round(relabelMs),
      rule_requests_settled: settled.length === RULE_REQUESTS,
      operator_alive: operator.alive,
    };
    return report;
  } finally {
    tenantWatch.close();
    hostileWatch.close();
    await operator.stop();
  }
}

const round = (value: number) => Math.round(value * 10) / 10;
