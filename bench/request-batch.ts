// A measured batch driven through the operator: one pr-created ResumeRequest per workflow, at
// most `concurrency` creates in flight, done once every workflow has passed its suspend node and
// every request has Succeeded. A request that fails or is ignored stops the batch at once, with
// its reason.
import type * as k8s from '@kubernetes/client-node';
import type { ResumeRequest } from '../src/api/resume-request.js';
import type { Workflow } from '../src/api/workflow.js';
import { measureBatch, type BatchResult } from './batch.js';
import type { Deadline } from './deadline.js';
import type { ObjectWatch, Observed } from './object-watch.js';
import { createPrCreatedRequest, hasSucceeded, settledOtherwise } from './resume-requests.js';

export async function resumeByRequests(options: {
  label: string;
  api: k8s.CustomObjectsApi;
  namespace: string;
  names: readonly string[];
  concurrency: number;
  workflows: ObjectWatch<Workflow>;
  requests: ObjectWatch<ResumeRequest>;
  deadline: Deadline;
}): Promise<BatchResult> {
  const { label, api, namespace, names, concurrency, workflows, requests, deadline } = options;
  const settled: Promise<Observed<ResumeRequest>>[] = [];
  let refuse!: (error: unknown) => void;
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  const batch = await Promise.race([
    refused,
    measureBatch({
      description: label,
      names,
      concurrency,
      workflows,
      deadline,
      resume: async (name) => {
        const request = `${name}-pr-created`;
        const done = requests.until(request, hasSucceeded, settledOtherwise);
        done.catch(refuse);
        settled.push(done);
        await createPrCreatedRequest(api, namespace, request, name);
      },
    }),
  ]);
  await deadline.within(`${label}: ${names.length} ResumeRequests to reach Succeeded`, Promise.all(settled));
  return batch;
}
