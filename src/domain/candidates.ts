// Which workflows a request may touch: whatever list the caller passes, only the play workflows
// of the request's own namespace, task and extra selector survive this filter. Whether a
// workflow's repository label lets the request through is the trust policy's call.
import type { ResumeRequest } from '../api/resume-request.js';
import type { Workflow } from '../api/workflow.js';
import type { DomainConfig } from './config.js';
import { workflowRequirements, type ResolvedRequest } from './correlate.js';
import { matchesLabelSelector } from './label-selector.js';

export function candidateWorkflows(
  request: ResumeRequest,
  resolved: ResolvedRequest,
  workflows: readonly Workflow[],
  config: DomainConfig,
): Workflow[] {
  const requirements = workflowRequirements(resolved, config);
  return workflows.filter(
    (workflow) =>
      workflow.metadata.namespace === request.metadata.namespace &&
      !workflow.metadata.deletionTimestamp &&
      (resolved.workflowName === undefined || workflow.metadata.name === resolved.workflowName) &&
      matchesLabelSelector(requirements, workflow.metadata.labels),
  );
}

/** Newest first by creation time; the name breaks ties so the order never depends on input order. */
export function newestFirst(a: Workflow, b: Workflow): number {
  const created = (workflow: Workflow) => Date.parse(workflow.metadata.creationTimestamp ?? '') || 0;
  return created(b) - created(a) || a.metadata.name.localeCompare(b.metadata.name);
}
