// A request deleted while the operator's status write to it is on its way: the write is done by
// the API server, but its answer reaches the operator only after the watch has told it the
// request is gone (a proxy between the two holds the answer back). The operator must not keep
// that answer as the request's latest copy: it would act on a request that no longer exists,
// turn after turn.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCountingProxy, type CountingProxy } from '../../bench/counting-proxy.js';
import {
  operatorKubeconfigPath,
  startOperator,
  waitUntilLeading,
  type RunningOperator,
} from '../support/operator.js';
import { createNamespace, kubectlOk, plane, waitFor } from '../support/plane.js';
import { createResumeRequest, getResumeRequest, waitForPhase } from '../support/resume-requests.js';

let proxy: CountingProxy | undefined;
let operator: RunningOperator | undefined;
afterAll(async () => {
  await operator?.stop();
  await proxy?.close();
});

/** The turns the operator logged for a request (debug `decided` lines), from its log. */
const turnsOf = (logs: string, request: string) =>
  logs
    .split('\n')
    .filter((line) => line.includes('"message":"decided"') && line.includes(`"request":"${request}"`)).length;

it('never acts again on a request deleted while a status write to it was answered late', async () => {
  const namespace = await createNamespace('deleted-mid-write');
  proxy = await startCountingProxy(plane().dir, Number(plane().env.APISERVER_PORT));
  // The operator's own kubeconfig, pointed at the proxy.
  const direct = readFileSync(await operatorKubeconfigPath(), 'utf8');
  const kubeconfig = join(plane().dir, `operator-via-proxy-${namespace}.kubeconfig`);
  writeFileSync(kubeconfig, direct.replace(`:${plane().env.APISERVER_PORT}"`, `:${proxy.port}"`), {
    mode: 0o600,
  });
  expect(readFileSync(kubeconfig, 'utf8')).toContain(`:${proxy.port}"`);
  // A waiting request is looked at again every second. The lease is the default's: the proxy's
  // extra hop must not cost the test its leader on a busy machine.
  operator = await startOperator(`deleted-mid-write-${namespace}`, namespace, {
    KUBECONFIG: kubeconfig,
    WRO_RESYNC_INTERVAL_MS: '1000',
    WRO_LEASE_DURATION_MS: '15000',
    WRO_RENEW_DEADLINE_MS: '10000',
    WRO_RETRY_PERIOD_MS: '2000',
  });
  await waitUntilLeading(operator);

  const held = proxy.holdAnswers(
    (method, url) =>
      method === 'PATCH' && url.includes(`/namespaces/${namespace}/resumerequests/doomed/status`),
  );
  // No workflow of the task: the first turn writes Waiting/WorkflowNotFound, whose answer is held.
  await createResumeRequest(namespace, 'doomed', { taskId: '901', eventType: 'pr-created' });
  await waitFor('the status write to be done and its answer held', async () =>
    held.held() === 1 && (await getResumeRequest(namespace, 'doomed'))?.status?.phase === 'Waiting'
      ? true
      : undefined,
  );
  await kubectlOk(['-n', namespace, 'delete', 'rr', 'doomed', '--wait=true']);
  // The watch brings events in order: once a request created after the deletion has its status,
  // the operator's cache has seen the deletion.
  await createResumeRequest(namespace, 'witness', { taskId: '902', eventType: 'pr-created' });
  await waitForPhase(namespace, 'witness', 'Waiting');
  held.release();

  const before = operator.logs();
  const doomedBefore = turnsOf(before, `${namespace}/doomed`);
  const witnessBefore = turnsOf(before, `${namespace}/witness`);
  // The witness is looked at every second; after three of its turns, the deleted request would
  // have had as many had the late answer been kept as its copy.
  await waitFor('three more turns of the witness', async () =>
    turnsOf(operator!.logs(), `${namespace}/witness`) >= witnessBefore + 3 ? true : undefined,
  );
  expect(turnsOf(operator.logs(), `${namespace}/doomed`)).toBe(doomedBefore);
  expect(await getResumeRequest(namespace, 'doomed')).toBeUndefined();
});
