// The argo-server backend against the real `argo server` (built from the same Argo module as the
// plane's controller). Out of a cluster, argo-server's client auth mode cannot turn a plain
// bearer token into a Kubernetes client, so it runs in server mode with its own identity; the
// operator still sends its token, as it would to an argo-server in client mode.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createNamespace, plane, waitFor } from '../support/plane.js';
import { freePort } from '../../bench/free-port.js';
import { operatorKubeconfigPath, startOperator, waitUntilLeading } from '../support/operator.js';
import { createResumeRequest, markerOf, waitForPhase } from '../support/resume-requests.js';
import {
  createWorkflow,
  nodeByDisplayName,
  playWorkflow,
  waitForSuspendAt,
  waitForWorkflowPhase,
} from '../support/workflows.js';

let argoServer: ChildProcess | undefined;

afterAll(() => {
  argoServer?.kill('SIGTERM');
});

async function startArgoServer(): Promise<string> {
  const p = plane();
  const port = await freePort();
  argoServer = spawn(
    p.env.ARGO_BIN!,
    [
      'server',
      '--kubeconfig',
      p.kubeconfigPath,
      '-n',
      'argo',
      '--auth-mode=server',
      '--secure=false',
      `--port=${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  // Any HTTP answer will do: without a token the API says 401, which still means it is up.
  await waitFor('argo server to answer', async () =>
    (await fetch(`${url}/api/v1/version`).catch(() => undefined)) ? true : undefined,
  );
  return url;
}

describe('the argo-server backend', () => {
  it('resumes the stage through argo-server, supplies parameters and records the marker', async () => {
    const namespace = await createNamespace('argoserver');
    const url = await startArgoServer();
    const kubeconfig = new k8s.KubeConfig();
    kubeconfig.loadFromFile(await operatorKubeconfigPath());
    const tokenFile = join(plane().dir, `argo-server-token-${namespace}`);
    writeFileSync(tokenFile, kubeconfig.getCurrentUser()!.token!, { mode: 0o600 });

    const operator = await startOperator(`argoserver-${namespace}`, namespace, {
      WRO_BACKEND: 'argo-server',
      WRO_ARGO_SERVER_URL: url,
      WRO_ARGO_SERVER_TOKEN_FILE: tokenFile,
    });
    await waitUntilLeading(operator);
    await createWorkflow(namespace, playWorkflow('via-server', { 'task-id': '301' }));
    for (const [stage, node] of [
      ['pr-created', 'wait-pr-created'],
      ['pr-labeled-ready', 'wait-ready-for-qa'],
    ] as const) {
      await waitForSuspendAt(namespace, 'via-server', node);
      await createResumeRequest(namespace, `via-server-${stage}`, { taskId: '301', eventType: stage });
      expect((await waitForPhase(namespace, `via-server-${stage}`, 'Succeeded')).status?.reason).toBe(
        'Resumed',
      );
    }
    await waitForSuspendAt(namespace, 'via-server', 'wait-pr-approved');
    await createResumeRequest(namespace, 'via-server-approved', {
      taskId: '301',
      eventType: 'pr-approved',
      resumeParameters: { approver: 'hubot' },
    });
    await waitForPhase(namespace, 'via-server-approved', 'Succeeded');
    const workflow = await waitForWorkflowPhase(namespace, 'via-server', 'Succeeded');
    expect(nodeByDisplayName(workflow, 'wait-pr-approved')?.outputs?.parameters).toEqual([
      expect.objectContaining({ name: 'approver', value: 'hubot' }),
    ]);
    expect(workflow.metadata.annotations?.['resume.workflows.dev/waiting-pr-approved']).toBe(
      await markerOf(namespace, 'via-server-approved'),
    );
    await operator.stop();
  });
});
