// The chaos soak, shortened to 60 seconds, on the shared plane: the compiled soak (dist/soak,
// which make test builds) delivers 60 tasks' GitHub histories (a pace one Sensor drains here)
// over HTTP to the plane's Argo Events pipeline against two operator replicas, while it kills,
// stops and cuts off the replicas and kills or restarts the Sensor, the EventSource and
// nats-server; then it checks every invariant from the API, counting from the deliveries the
// EventSource answered with success. Its outsiders include untrusted approvals, fork pull
// requests and events of another repository, none of which may advance a stage.
import { join } from 'node:path';
import { plane, projectRoot, run } from '../support/plane.js';

const SECONDS = 60;

it(
  `keeps exactly-once through ${SECONDS} seconds of mixed events and faults`,
  async () => {
    const result = await run(process.execPath, [join(projectRoot, 'dist/soak/run.js')], {
      env: {
        PLANE_DIR: plane().dir,
        SOAK_SECONDS: String(SECONDS),
        SOAK_TASKS: '60',
        SOAK_SEED: '12',
        SOAK_OUTSIDERS: 'all',
        SOAK_SETTLE_SECONDS: '300',
      },
      timeoutMs: 20 * 60_000,
    });
    const last = result.stdout.trim().split('\n').at(-1) ?? '';
    // The whole log when it fails: every failed invariant is named there.
    const context = `exit ${result.code}\n${result.stderr}`;
    expect({ context, report: last.startsWith('{') }).toEqual({ context, report: true });
    const report = JSON.parse(last) as Record<string, unknown> & {
      faults: Record<string, number>;
      latency_ms: { p50: number; p99: number };
    };
    expect({ context, exit: result.code }).toEqual({ context, exit: 0 });
    expect(report).toMatchObject({ tasks: 60, double_resumes: 0, lost: 0, stuck: 0, wrongly_advanced: 0 });
    // At least three stages per task, and every kind of fault at least once.
    expect(report.resumes).toBeGreaterThanOrEqual(180);
    expect(report.requests).toBeGreaterThanOrEqual(180);
    for (const kind of ['sigkill-leader', 'sigstop-leader', 'apiserver-restart', 'etcd-restart'])
      expect(report.faults[kind]).toBeGreaterThanOrEqual(1);
    for (const kind of ['webhook-5xx', 'webhook-429', 'webhook-slow', 'dropped-watches'])
      expect(report.faults[kind]).toBeGreaterThanOrEqual(1);
    for (const kind of ['sensor-kill', 'eventsource-restart', 'nats-restart'])
      expect(report.faults[kind]).toBeGreaterThanOrEqual(1);
    expect(report.latency_ms.p50).toBeGreaterThanOrEqual(0);
  },
  25 * 60_000,
);
