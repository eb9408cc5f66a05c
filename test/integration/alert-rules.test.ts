// The alert rules shipped in the chart, checked and unit-tested by Prometheus' own promtool:
// test/alerts/ feeds each alert the series that mean trouble and the ones that do not.
import { join } from 'node:path';
import { projectRoot, run } from '../support/plane.js';

const promtool = (args: string[]) =>
  run(join(projectRoot, 'hack/tool'), ['promtool', ...args], { timeoutMs: 900_000 });

test('promtool accepts the rule file', async () => {
  const result = await promtool([
    'check',
    'rules',
    join(projectRoot, 'charts/workflow-resume-operator/files/prometheus-rules.yaml'),
  ]);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain('SUCCESS: 8 rules found');
});

test('every alert fires when it should and only then', async () => {
  const result = await promtool([
    'test',
    'rules',
    join(projectRoot, 'test/alerts/prometheus-rules.test.yaml'),
  ]);
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
});
