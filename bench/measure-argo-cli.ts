// ARGO_CLI, the baseline: `argo resume` per workflow on the same plane, over fresh suspended
// play workflows, once one call at a time and once with the same bound on calls in flight as
// OURS, so the headline comparison puts both paths under the same client.
import type { Workflow } from '../src/api/workflow.js';
import { argoResume } from './argo-cli.js';
import { measureBatch, type BatchResult } from './batch.js';
import { createNamespace } from './namespaces.js';
import { ObjectWatch } from './object-watch.js';
import { progress } from './progress.js';
import type { PassOptions } from './settings.js';
import { createSuspendedWorkflows, deleteWorkflows, workflowCollection } from './workflows.js';

export interface ArgoCliResult {
  sequential: BatchResult;
  concurrent: BatchResult;
}

export async function measureArgoCli(options: PassOptions): Promise<ArgoCliResult> {
  const { plane, n, concurrency, deadline } = options;
  const kubeConfig = plane.kubeConfig;
  const namespace = await createNamespace(kubeConfig, 'bench-argo', deadline);
  const sequentialNames = Array.from({ length: n }, (_, i) => `seq-${i + 1}`);
  const concurrentNames = Array.from({ length: n }, (_, i) => `par-${i + 1}`);
  const workflows = await ObjectWatch.start<Workflow>(kubeConfig, workflowCollection(namespace), deadline);
  try {
    progress(
      `argo cli: creating ${2 * n} play workflows in ${namespace} and waiting until each is suspended`,
    );
    await createSuspendedWorkflows({
      kubeConfig,
      watch: workflows,
      namespace,
      names: [...sequentialNames, ...concurrentNames],
      deadline,
    });
    const resume = (name: string) => argoResume(plane, namespace, name);
    progress(`argo cli: resuming ${n} workflows one at a time`);
    const sequential = await measureBatch({
      description: 'argo cli, sequential',
      names: sequentialNames,
      concurrency: 1,
      workflows,
      resume,
      deadline,
    });
    progress(`argo cli: resuming ${n} workflows, ${concurrency} processes at most`);
    const concurrent = await measureBatch({
      description: `argo cli, ${concurrency} at a time`,
      names: concurrentNames,
      concurrency,
      workflows,
      resume,
      deadline,
    });
    return { sequential, concurrent };
  } finally {
    workflows.close();
    await deleteWorkflows(kubeConfig, namespace).catch(() => undefined);
  }
}
