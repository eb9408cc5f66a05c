// Node status that Argo offloaded to its database, read through the backend that can see it
// (argo-server's hydrate). Its answer is as untrusted as any workflow status and as large as the
// workflow, so it passes the cache's own projection and bounds; and a read that fails, or
// answers what the projection refuses, marks this one copy unavailable: the decision waits on
// that workflow (NodeStatusUnavailable) and every other candidate is decided as usual.
import type { Workflow } from '../api/workflow.js';
import type { ResumeBackend } from '../backends/backend.js';
import { describeError } from '../domain/errors.js';

export type CompleteWorkflow = (workflow: Workflow) => Promise<Workflow>;

export function offloadedNodesReader(
  backend: Pick<ResumeBackend, 'hydrate'>,
  project: (whole: Workflow) => Workflow,
): CompleteWorkflow {
  return async (workflow) => {
    const hydrate = backend.hydrate?.bind(backend);
    if (!workflow.status?.offloadNodeStatusVersion || !hydrate) return workflow;
    const { namespace, name } = workflow.metadata;
    try {
      return project(await hydrate(namespace!, name));
    } catch (error) {
      return {
        ...workflow,
        projection: {
          ...(workflow.projection ?? { bytes: 0, nodesBytes: 0 }),
          unavailable: `the node status of workflow ${name} is offloaded to Argo's database and could not be read through argo-server: ${describeError(error)}`,
        },
      };
    }
  };
}
