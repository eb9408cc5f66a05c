// The GitOps samples in config/samples, applied as they are with the operator running: each
// resumes its stage of task 42's play workflow, and the approval's values reach the workflow.
import { join } from 'node:path';
import { kubectlOk, projectRoot } from '../support/plane.js';
import { operatorForFile } from '../support/operator.js';
import { waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';

const file = operatorForFile('samples-e2e');

const sample = (name: string) => join(projectRoot, 'config/samples', name);

it('the samples resume task 42 stage by stage and supply the approval values', async () => {
  const workflow = playWorkflow('play-task-42', { 'task-id': '42', repository: 'example-org.example-repo' });
  const approval = (
    workflow.spec as { templates: Array<{ name: string; outputs?: unknown }> }
  ).templates.find((template) => template.name === 'wait-pr-approved')!;
  approval.outputs = {
    parameters: ['approved', 'approved-by', 'comment'].map((name) => ({ name, valueFrom: { supplied: {} } })),
  };
  await createWorkflow(file.namespace, workflow);

  for (const [sampleFile, name, node] of [
    ['resume-by-workflow-name.yaml', 'manual-play-task-42-pr-created', 'wait-pr-created'],
    ['resume-by-task.yaml', 'manual-task-42-ready-for-qa', 'wait-ready-for-qa'],
    ['resume-with-parameters.yaml', 'manual-task-42-approval', 'wait-pr-approved'],
  ] as const) {
    await waitForSuspendAt(file.namespace, 'play-task-42', node);
    await kubectlOk(['-n', file.namespace, 'apply', '-f', sample(sampleFile)]);
    const request = await waitForPhase(file.namespace, name, 'Succeeded');
    expect(request.status).toMatchObject({ reason: 'Resumed', workflowName: 'play-task-42' });
  }
  const done = await waitForWorkflowPhase(file.namespace, 'play-task-42', 'Succeeded');
  const values = Object.fromEntries(
    (nodeByDisplayName(done, 'wait-pr-approved')?.outputs?.parameters ?? []).map((p) => [p.name, p.value]),
  );
  expect(values).toEqual({
    approved: 'true',
    'approved-by': 'release-manager',
    comment: 'Approved out of band after the QA sign-off meeting',
  });
});
