// The two watches every measured namespace needs: its play workflows (suspended, resumed) and
// its ResumeRequests (settled), started together and closed together.
import type * as k8s from '@kubernetes/client-node';
import type { ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import type { Deadline } from './deadline.js';
import { ObjectWatch } from './object-watch.js';
import { requestCollection } from './resume-requests.js';
import { workflowCollection } from './workflows.js';

export interface PlayWatches {
  workflows: ObjectWatch<Workflow>;
  requests: ObjectWatch<ResumeRequest>;
  close(): void;
}

export async function watchPlays(
  kubeConfig: k8s.KubeConfig,
  namespace: string,
  deadline: Deadline,
): Promise<PlayWatches> {
  const workflows = await ObjectWatch.start<Workflow>(kubeConfig, workflowCollection(namespace), deadline);
  try {
    const requests = await ObjectWatch.start<ResumeRequest>(
      kubeConfig,
      requestCollection(namespace),
      deadline,
    );
    return {
      workflows,
      requests,
      close: () => {
        workflows.close();
        requests.close();
      },
    };
  } catch (error) {
    workflows.close();
    throw error;
  }
}
