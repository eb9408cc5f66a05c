// What every pass over OURS shares: a fresh namespace with suspended play workflows, the
// operator running on it under its ServiceAccount, watches on workflows and ResumeRequests, an
// untimed warm-up batch of ResumeRequests and one measured batch. Everything it starts is
// stopped when the pass ends.
import * as k8s from '@kubernetes/client-node';
import { cleanUp, type CleanUpStep } from './clean-up.js';
import type { BatchResult } from './batch.js';
import type { Deadline } from './deadline.js';
import { createNamespace } from './namespaces.js';
import { startCpuMeter, type CpuUsed } from './operator-cpu.js';
import { startOperatorProcess, type OperatorProcess } from './operator-process.js';
import type { BenchPlane } from './plane.js';
import { progress } from './progress.js';
import { resumeByRequests } from './request-batch.js';
import { requestCollection } from './resume-requests.js';
import { createSuspendedWorkflows, deleteWorkflows } from './workflows.js';
import { watchPlays } from './play-watches.js';

export interface OursSession {
  operator: OperatorProcess;
  /**
   * Resumes the warm-up workflows, untimed, then the N measured ones: one ResumeRequest per
   * workflow, at most `concurrency` creates in flight. Resolves with the measured batch once every
   * workflow has passed its suspend node and every request has Succeeded, and the operator's CPU
   * time over the measured batch (operator-cpu.ts).
   */
  resumeAll(concurrency: number): Promise<{ batch: BatchResult; cpu: CpuUsed }>;
}

export async function withOursSession<T>(
  options: {
    plane: BenchPlane;
    n: number;
    warmUp: number;
    deadline: Deadline;
    label: string;
    apiPort?: number;
  },
  body: (session: OursSession) => Promise<T>,
): Promise<T> {
  const { plane, n, deadline, label } = options;
  const kubeConfig = plane.kubeConfig;
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const namespace = await createNamespace(kubeConfig, 'bench-ours', deadline);
  const names = Array.from({ length: n }, (_, i) => `play-${i + 1}`);
  const warmUpNames = Array.from({ length: options.warmUp }, (_, i) => `warm-up-${i + 1}`);
  const release: CleanUpStep[] = [];
  try {
    const { workflows, requests, close } = await watchPlays(kubeConfig, namespace, deadline);
    release.push(close);

    progress(`${label}: starting the operator on namespace ${namespace}`);
    const operator = await startOperatorProcess({
      plane,
      namespaces: [namespace],
      apiPort: options.apiPort,
      deadline,
    });
    release.push(() => operator.stop());
    await operator.waitUntilLeading(deadline);

    const all = [...warmUpNames, ...names];
    progress(`${label}: creating ${all.length} play workflows and waiting until each is suspended`);
    await createSuspendedWorkflows({ kubeConfig, watch: workflows, namespace, names: all, deadline });

    const batch = (batchNames: readonly string[], concurrency: number, stage: string) => {
      progress(
        `${label}: ${stage}: ${batchNames.length} ResumeRequests, ${concurrency} creates in flight at most`,
      );
      return resumeByRequests({
        label,
        api,
        namespace,
        names: batchNames,
        concurrency,
        workflows,
        requests,
        deadline,
      });
    };
    return await body({
      operator,
      async resumeAll(concurrency) {
        if (warmUpNames.length > 0) await batch(warmUpNames, concurrency, 'warm-up');
        const meter = startCpuMeter(operator.pid);
        const measured = await batch(names, concurrency, 'measured');
        return { batch: measured, cpu: await meter.stop(deadline) };
      },
    });
  } finally {
    await cleanUp(release, label);
    await Promise.allSettled([
      deleteWorkflows(kubeConfig, namespace),
      api.deleteCollectionNamespacedCustomObject(requestCollection(namespace)),
    ]);
  }
}
