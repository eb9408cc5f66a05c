// Plays the planned histories against the plane as GitHub, users and a GitOps tool would:
// creates each task's play workflows, makes every delivery at its time (signed, over HTTP, to the
// plane's Argo Events pipeline, whose Sensor creates the requests; a failed delivery is
// redelivered as GitHub's API would be asked to), deletes requests mid-flight, terminates replaced
// runs, and writes down in the ledger what each delivery answered with success stands for.
import * as k8s from '@kubernetes/client-node';
import { GROUP, KIND, PLURAL, VERSION } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import type { Deadline } from '../bench/deadline.js';
import { playWorkflow, workflowCollection } from '../bench/workflows.js';
import { STAGES, VALID_KINDS, type Delivery, type RunPlan, type TaskPlan } from './histories.js';
import type { Ledger, RequestRecord } from './ledger.js';
import { REPOSITORY_LABEL, webhookFor, type Webhook } from './payloads.js';
import { deliver, type WebhookTarget } from '../test/support/github-webhook.js';
import { retryTransient, statusOf } from './transient.js';

const requestCollection = (namespace: string) => ({
  group: GROUP,
  version: VERSION,
  plural: PLURAL,
  namespace,
});
/** A replaced run is terminated only this long after its last event, so no event of it is as new as its successor. */
const RERUN_GAP_MS = 2000;
/** A failed delivery is sent again after this long, for at most REDELIVER_FOR_MS. */
const REDELIVER_AFTER_MS = 1000;
const REDELIVER_FOR_MS = 120_000;
const DELIVERY_TIMEOUT_MS = 15_000;
/**
 * How long a request to delete may take to appear once its delivery was answered: the Sensor
 * takes each trigger's events one at a time, so a burst of deliveries queues in JetStream.
 */
const REQUEST_APPEARS_MS = 600_000;

export interface GeneratorOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  /** The pipeline's webhook: where deliveries go and the secret they are signed with. */
  webhook: WebhookTarget;
  ledger: Ledger;
  deadline: Deadline;
  /** Reports a delivery that could not be made (the run goes on; the checks account for it). */
  onError: (what: string, error: unknown) => void;
}

export class Generator {
  private readonly api: k8s.CustomObjectsApi;
  private readonly created = new Map<string, Promise<unknown>>();
  private readonly sent = new Map<string, Promise<unknown>[]>();
  private readonly payloads = new Map<string, Webhook>();
  private readonly lastSentAt = new Map<string, number>();

  constructor(private readonly options: GeneratorOptions) {
    this.api = options.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  /** Plays every task from `startedAt` (Date.now()); resolves when every action has been made. */
  async play(plans: readonly TaskPlan[], startedAt: number): Promise<void> {
    const actions: Promise<unknown>[] = [];
    const later = (atMs: number, what: string, action: () => Promise<unknown>) => {
      const done = this.options.deadline
        .sleep(what, Math.max(0, startedAt + atMs - Date.now()))
        .then(action)
        .catch((error: unknown) => this.options.onError(what, error));
      actions.push(done);
      return done;
    };
    for (const plan of plans) {
      const [first, second] = plan.runs as [RunPlan, RunPlan | undefined];
      const firstCreated = later(first.createAtMs, `create ${first.name}`, () => this.createRun(first));
      this.created.set(first.name, firstCreated);
      for (const delivery of plan.deliveries) {
        const sent = later(delivery.atMs, `${delivery.kind} ${delivery.deliveryId}`, () =>
          this.deliver(delivery),
        );
        // A replaced run is terminated after the events of its own time, not its late redeliveries.
        if (delivery.atMs < (first.terminateAtMs ?? Infinity)) {
          const list = this.sent.get(delivery.run) ?? [];
          list.push(sent);
          this.sent.set(delivery.run, list);
        }
      }
      if (second && first.terminateAtMs !== undefined) {
        const replaced = later(first.terminateAtMs, `terminate ${first.name}`, () => this.terminate(first));
        this.created.set(
          second.name,
          replaced.then(() =>
            later(second.createAtMs, `create ${second.name}`, () => this.createRun(second)),
          ),
        );
      }
    }
    await Promise.all(actions);
    await Promise.all(this.created.values());
  }

  private async createRun(run: RunPlan): Promise<void> {
    const workflow: Workflow = playWorkflow(run.name, run.task);
    workflow.metadata.labels = {
      ...workflow.metadata.labels,
      repository: REPOSITORY_LABEL,
      'fault-injection': 'on',
    };
    const { namespace, deadline } = this.options;
    await retryTransient(
      `create workflow ${run.name}`,
      () =>
        this.api
          .createNamespacedCustomObject({ ...workflowCollection(namespace), body: workflow })
          .catch((error: unknown) => {
            // An earlier attempt that got through before the connection broke.
            if (statusOf(error) !== 409) throw error;
          }),
      deadline,
    );
    this.options.ledger.runs.set(run.name, { task: run.task, live: run.live });
  }

  /** Waits for the run's own deliveries, then stops it as `argo terminate` does. */
  private async terminate(run: RunPlan): Promise<void> {
    await Promise.all(this.sent.get(run.name) ?? []);
    const quietFor = (this.lastSentAt.get(run.name) ?? 0) + RERUN_GAP_MS - Date.now();
    if (quietFor > 0)
      await this.options.deadline.sleep(`a quiet moment before terminating ${run.name}`, quietFor);
    const { namespace, deadline } = this.options;
    await retryTransient(
      `terminate ${run.name}`,
      () =>
        this.api.patchNamespacedCustomObject(
          { ...workflowCollection(namespace), name: run.name, body: { spec: { shutdown: 'Terminate' } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ),
      deadline,
    );
  }

  private async deliver(delivery: Delivery): Promise<void> {
    await this.created.get(delivery.run);
    const { ledger } = this.options;
    ledger.count(delivery.kind);
    if (delivery.kind === 'manual' || delivery.kind === 'manual-resync') return this.applyManual(delivery);
    // A redelivery repeats its original byte for byte; a first delivery happens now.
    let webhook = delivery.kind === 'redelivery' ? this.payloads.get(delivery.deliveryId) : undefined;
    webhook ??= webhookFor(delivery, new Date());
    this.payloads.set(delivery.deliveryId, webhook);
    this.lastSentAt.set(delivery.run, Date.now());
    if (!(await this.sendUntilAnswered(webhook, delivery.deliveryId))) return ledger.count('unanswered');
    const record = { task: delivery.task, run: delivery.run, stage: delivery.stage, kind: delivery.kind };
    ledger.answered(delivery.deliveryId, record, VALID_KINDS.has(delivery.kind));
    if (delivery.deleteAfterMs !== undefined) {
      const name = await this.requestOf(delivery.deliveryId);
      await this.options.deadline.sleep(`deleting ${name}`, delivery.deleteAfterMs);
      await this.deleteRequest(name, { ...record, deliveryId: delivery.deliveryId });
    }
  }

  /** POSTs the delivery until the EventSource answers 2xx; false when it never did in time. */
  private async sendUntilAnswered(webhook: Webhook, deliveryId: string): Promise<boolean> {
    const { deadline, ledger } = this.options;
    const until = Date.now() + REDELIVER_FOR_MS;
    for (;;) {
      const answer = await deadline.within(
        `delivery ${deliveryId}`,
        deliver(this.options.webhook, webhook.event, webhook.payload, {
          deliveryId,
          timeoutMs: DELIVERY_TIMEOUT_MS,
        }),
      );
      if (answer.ok) return true;
      ledger.count('failed-delivery');
      if (Date.now() + REDELIVER_AFTER_MS > until) return false;
      await deadline.sleep(`redelivering ${deliveryId}`, REDELIVER_AFTER_MS);
    }
  }

  /** The name of the (first) request the Sensor created for a delivery, once it exists. */
  private async requestOf(deliveryId: string): Promise<string> {
    const { namespace, deadline } = this.options;
    const until = Date.now() + REQUEST_APPEARS_MS;
    for (;;) {
      const list = (await retryTransient(
        'list ResumeRequests',
        () => this.api.listNamespacedCustomObject(requestCollection(namespace)),
        deadline,
      )) as { items: { metadata: { name: string }; spec?: { github?: { deliveryId?: string } } }[] };
      const found = list.items.find((item) => item.spec?.github?.deliveryId === deliveryId);
      if (found) return found.metadata.name;
      if (Date.now() > until) throw new Error(`no ResumeRequest of delivery ${deliveryId} appeared`);
      await deadline.sleep(`the request of delivery ${deliveryId}`, 1000);
    }
  }

  private async deleteRequest(name: string, record: Omit<RequestRecord, 'deleted'>): Promise<void> {
    const { namespace, deadline, ledger } = this.options;
    await retryTransient(
      `delete ResumeRequest ${name}`,
      () =>
        this.api
          .deleteNamespacedCustomObject({ ...requestCollection(namespace), name })
          .catch((error: unknown) => {
            if (statusOf(error) !== 404) throw error;
          }),
      deadline,
    );
    ledger.deleted(name, record);
  }

  /** What a GitOps tool does with a ResumeRequest manifest kept in Git: server-side apply. */
  private async applyManual(delivery: Delivery): Promise<void> {
    const name = delivery.deliveryId;
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: KIND,
      metadata: { name, namespace: this.options.namespace },
      spec: {
        taskId: delivery.task,
        eventType: STAGES[delivery.stage]!.eventType,
        workflowName: delivery.run,
      },
    };
    const { namespace, deadline, ledger } = this.options;
    await retryTransient(
      `apply ResumeRequest ${name}`,
      () =>
        this.api.patchNamespacedCustomObject(
          { ...requestCollection(namespace), name, body, fieldManager: 'gitops', force: true },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
        ),
      deadline,
    );
    if (!ledger.requests.has(name))
      ledger.created(
        name,
        { task: delivery.task, run: delivery.run, stage: delivery.stage, kind: 'manual' },
        true,
      );
  }
}
