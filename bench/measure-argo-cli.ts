// ARGO_CLI, the baseline: `argo resume` per workflow on the same plane, over fresh suspended
// play workflows, once at every level of calls in flight that OURS is timed at, each after an
// untimed warm-up batch as OURS has, so each comparison puts both paths under the same client.
import type { Workflow } from '../src/api/workflow.js';
import { argoResume } from './argo-cli.js';
import { measureBatch, type BatchResult } from './batch.js';
import { createNamespace } from './namespaces.js';
import { ObjectWatch } from './object-watch.js';
import { progress } from './progress.js';
import type { PassOptions } from './settings.js';
import { createSuspendedWorkflows, deleteWorkflows, workflowCollection } from './workflows.js';

/** One batch per level of calls in flight. */
export type ArgoCliResult = Map<number, BatchResult>;

export async function measureArgoCli(
  options: Omit<PassOptions, 'concurrency'> & { concurrencies: readonly number[] },
): Promise<ArgoCliResult> {
  const { plane, n, warmUp, concurrencies, deadline } = options;
  const kubeConfig = plane.kubeConfig;
  const namespace = await createNamespace(kubeConfig, 'bench-argo', deadline);
  const namesAt = (concurrency: number) => Array.from({ length: n }, (_, i) => `c${concurrency}-${i + 1}`);
  const warmUpNamesAt = (concurrency: number) =>
    Array.from({ length: warmUp }, (_, i) => `c${concurrency}-warm-up-${i + 1}`);
  const workflows = await ObjectWatch.start<Workflow>(kubeConfig, workflowCollection(namespace), deadline);
  try {
    const allNames = concurrencies.flatMap((concurrency) => [
      ...warmUpNamesAt(concurrency),
      ...namesAt(concurrency),
    ]);
    progress(
      `argo cli: creating ${allNames.length} play workflows in ${namespace} and waiting until each is suspended`,
    );
    await createSuspendedWorkflows({ kubeConfig, watch: workflows, namespace, names: allNames, deadline });
    const resume = (name: string) => argoResume(plane, namespace, name);
    const batch = (names: readonly string[], concurrency: number, stage: string) => {
      progress(`argo cli: ${stage}: resuming ${names.length} workflows, ${concurrency} processes at most`);
      return measureBatch({
        description: `argo cli, ${concurrency} at a time, ${stage}`,
        names,
        concurrency,
        workflows,
        resume,
        deadline,
      });
    };
    const result: ArgoCliResult = new Map();
    for (const concurrency of concurrencies) {
      if (warmUp > 0) await batch(warmUpNamesAt(concurrency), concurrency, 'warm-up');
      result.set(concurrency, await batch(namesAt(concurrency), concurrency, 'measured'));
    }
    return result;
  } finally {
    workflows.close();
    await deleteWorkflows(kubeConfig, namespace).catch(() => undefined);
  }
}
