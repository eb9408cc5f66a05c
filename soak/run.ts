// `make soak`: a long mixed run on the local plane and its Argo Events pipeline. Two operator
// replicas under the shipped RBAC (leader election on) face GitHub histories delivered over HTTP
// to the real EventSource (the Sensor of config/argo-events creates the requests) and a schedule
// of faults on the replicas, the plane and the pipeline; afterwards the invariants are checked
// from the API alone, counting from the deliveries the EventSource answered with success. Progress and a table go to
// stderr; the last stdout line is the JSON object of the contract. Exits 1 when an invariant
// fails (each failure named on stderr). One hard deadline bounds the run; a plane it started is
// always taken down.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import { startCountingProxy } from '../bench/counting-proxy.js';
import { Deadline } from '../bench/deadline.js';
import { startPlane, stopPlane, type BenchPlane } from '../bench/plane.js';
import { deleteWorkflows, workflowCollection } from '../bench/workflows.js';
import { startFaultWebhook } from '../test/support/fault-webhook.js';
import { Chaos } from './chaos.js';
import { DeploymentReplicas } from './deployment.js';
import { chaosSchedule, DEPLOYMENT_FAULT_KINDS, DEPLOYMENT_SPACING_MS, FAULT_KINDS } from './schedule.js';
import { Generator } from './generator.js';
import { planHistories } from './histories.js';
import { checkInvariants, sentRequests, type CheckResult } from './invariants.js';
import { Ledger } from './ledger.js';
import { Replicas, type OperatorReplicas } from './replicas.js';
import { buildReport, describeViolation, resumeLatencies, summaryTable } from './report.js';
import { settingsOrExit } from '../bench/env-settings.js';
import { loadSettings, type SoakSettings } from './settings.js';
import { retryTransient } from './transient.js';

const TEARDOWN_GRACE_MS = 120_000;
const SETTLE_POLL_MS = 2000;
const started = Date.now();

function progress(message: string): void {
  process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

async function snapshot(kubeConfig: k8s.KubeConfig, namespace: string, deadline: Deadline) {
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const list = async <T>(ref: { group: string; version: string; plural: string }) =>
    (
      (await retryTransient(
        `list ${ref.plural}`,
        () => api.listNamespacedCustomObject({ ...ref, namespace }),
        deadline,
      )) as { items: T[] }
    ).items;
  const [workflows, requests] = await Promise.all([
    list<Workflow>(workflowCollection(namespace)),
    list<ResumeRequest>({ group: GROUP, version: VERSION, plural: PLURAL }),
  ]);
  return { workflows, requests };
}

const unsettled = (result: CheckResult) =>
  result.violations.some((v) => v.kind === 'lost' || v.kind === 'stuck' || v.kind === 'contradiction');

async function soak(settings: SoakSettings, plane: BenchPlane, deadline: Deadline): Promise<number> {
  // The fault webhook registers itself with the plane's kubectl, found through PLANE_DIR.
  process.env.PLANE_DIR = plane.dir;
  // The Sensor creates requests in its own namespace: the plays live there.
  // Tasks (and delivery ids) of their own: earlier runs' plays may share the namespace.
  const firstTask = 1000 + (Math.floor(Date.now() / 1000) % 100_000) * 10_000;
  if (!plane.events) throw new Error(`the plane in ${plane.dir} runs no Argo Events pipeline`);
  const { namespace, webhook: target } = plane.events;
  progress(
    `namespace ${namespace}; ${settings.tasks} tasks over ${settings.seconds} s, seed ${settings.seed}, outsiders: ${settings.outsiders}`,
  );
  const webhook = await startFaultWebhook(namespace);
  const proxy = await startCountingProxy(plane.dir, plane.apiserverPort);
  const replicas: OperatorReplicas = settings.deployment
    ? new DeploymentReplicas({ plane, namespace, image: settings.deployment.image, deadline })
    : new Replicas({ plane, namespace, apiPort: proxy.port, deadline });
  const ledger = new Ledger();
  let passed = false;
  try {
    if (replicas instanceof DeploymentReplicas) await replicas.install();
    await replicas.fill();
    progress(`replicas ${replicas.names().join(', ')}; ${(await replicas.leader(60_000)).name} leads`);
    const chaos = new Chaos({
      planeDir: plane.dir,
      kubeConfig: plane.kubeConfig,
      replicas,
      webhook,
      proxy,
      deadline,
      log: progress,
    });
    const generator = new Generator({
      kubeConfig: plane.kubeConfig,
      namespace,
      webhook: target,
      ledger,
      deadline,
      onError: (what, error) =>
        progress(`could not ${what}: ${error instanceof Error ? error.message : String(error)}`),
    });
    // On a node the chart's pods are deleted and rolled too; the pods' watches bypass the proxy.
    const faultKinds = settings.deployment ? DEPLOYMENT_FAULT_KINDS : FAULT_KINDS;
    const playStarted = Date.now();
    await Promise.all([
      generator.play(planHistories({ ...settings, firstTask }), playStarted),
      chaos.run(
        settings.deployment
          ? chaosSchedule(settings.seconds, settings.seed, faultKinds, DEPLOYMENT_SPACING_MS)
          : chaosSchedule(settings.seconds, settings.seed, faultKinds),
        playStarted,
      ),
    ]);
    const rest = playStarted + settings.seconds * 1000 - Date.now();
    if (rest > 0) await deadline.sleep('the end of the play', rest);
    const seconds = Math.round((Date.now() - playStarted) / 1000);
    progress(
      `play over after ${seconds} s: ${ledger.deliveries.size} deliveries answered, ${ledger.counts.get('created') ?? 0} applied; settling (at most ${settings.settleSeconds} s)`,
    );

    const settleUntil = Date.now() + settings.settleSeconds * 1000;
    let result: CheckResult;
    let workflows: Workflow[];
    let requests: ResumeRequest[];
    for (;;) {
      chaos.tally.replicaExits += await replicas.fill();
      const current = await snapshot(plane.kubeConfig, namespace, deadline);
      workflows = current.workflows;
      requests = current.requests;
      const sent = sentRequests(ledger.requests, ledger.deliveries, requests);
      result = checkInvariants({ runs: ledger.runs, sent, workflows, requests, answered: ledger.deliveries });
      if (!unsettled(result) || Date.now() >= settleUntil) break;
      await deadline.sleep('the operator to settle', SETTLE_POLL_MS);
    }
    progress(`settled after ${Math.round((Date.now() - settleUntil) / 1000 + settings.settleSeconds)} s`);

    const report = buildReport({
      seconds,
      tasks: settings.tasks,
      ledger,
      requests: sentRequests(ledger.requests, ledger.deliveries, requests).size,
      chaos: chaos.tally,
      faultKinds,
      resumes: result.resumes,
      violations: result.violations,
      latencies: resumeLatencies(ledger, workflows),
    });
    for (const line of summaryTable(report, ledger, chaos.tally)) progress(line);
    const { refused, throttled, slowed } = webhook.calls;
    progress(`  operator workflow writes refused 5xx / 429 / slowed: ${refused} / ${throttled} / ${slowed}`);
    for (const violation of result.violations.slice(0, 100))
      progress(`INVARIANT FAILED ${describeViolation(violation)}`);
    if (result.violations.length > 100) progress(`... and ${result.violations.length - 100} more`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    passed = result.violations.length === 0;
    return passed ? 0 : 1;
  } finally {
    progress('tearing down: replicas, fault webhook, proxy');
    await replicas.stopAll();
    await webhook
      .close()
      .catch((error: unknown) => progress(`could not remove the fault webhook: ${String(error)}`));
    await proxy.close();
    // A reused plane does not carry this run's workflows into the next one; a failed run's are
    // kept for inspection.
    if (!plane.owned && passed) await deleteWorkflows(plane.kubeConfig, namespace).catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const settings = settingsOrExit(loadSettings);
  const deadline = new Deadline(settings.deadlineMs);
  const owned = settings.planeDir === undefined;
  const dir = settings.planeDir ?? mkdtempSync(join(tmpdir(), 'wro-soak-'));
  deadline.cancelOnSignals();
  setTimeout(() => {
    progress('the plane could not be taken down in time; giving up');
    process.exit(1);
  }, settings.deadlineMs + TEARDOWN_GRACE_MS).unref();

  progress(
    `deadline ${settings.deadlineMs / 1000} s, plane ${owned ? `started in ${dir}` : `reused from ${dir}`}` +
      (settings.deployment
        ? `, operator: the chart's Deployment of ${settings.deployment.image} on a real node`
        : ''),
  );
  let code = 1;
  try {
    const plane = await startPlane(dir, owned, deadline, {
      node: settings.deployment !== undefined,
      events: true,
    });
    code = await soak(settings, plane, deadline);
  } catch (error) {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (owned) {
    const keepFiles = code !== 0;
    progress(`stopping the plane in ${dir}${keepFiles ? ' (its files are kept for inspection)' : ''}`);
    await stopPlane(dir, owned, keepFiles).catch((error: unknown) =>
      progress(`tear-down failed: ${String(error)}`),
    );
  }
  return deadline.interrupted ? 130 : code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
