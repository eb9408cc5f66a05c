// The alerts the chart ships as a PrometheusRule, rendered by helm and checked and unit-tested by
// Prometheus' own promtool: test/alerts/ feeds each alert the series that mean trouble, as the
// operator starts them (at 0 when a replica leads), and the ones that do not, another release's
// among them. Each alert links to a section of the troubleshooting guide named after it.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { projectRoot, run } from '../support/plane.js';

const chart = join(projectRoot, 'charts/workflow-resume-operator');
const tool = join(projectRoot, 'hack/tool');
const ALERTS = [
  'WorkflowResumeNoLeader',
  'WorkflowResumeCircuitBreakerOpen',
  'WorkflowResumeRequestsFailing',
  'WorkflowResumeRetriesExhausted',
  'WorkflowResumeRequestsTimedOut',
  'WorkflowResumeReconcileErrors',
  'WorkflowResumeObjectsSkipped',
  'WorkflowResumeQueueBacklog',
  'WorkflowResumeRequestsUnreconciled',
  'WorkflowResumeLatencyHigh',
  'WorkflowResumeWorkerStuck',
];

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

async function tool_(name: string, args: string[]) {
  return run(tool, [name, ...args], { timeoutMs: 900_000 });
}

/** The PrometheusRule's rule groups as helm renders them for release wro in wro-system. */
async function renderRules(sets: string[] = []): Promise<{ groups: Array<{ rules: Rule[] }> }> {
  const result = await tool_('helm', [
    'template',
    'wro',
    chart,
    '--namespace',
    'wro-system',
    '--show-only',
    'templates/prometheusrule.yaml',
    '--set',
    'metrics.prometheusRule.enabled=true',
    ...sets.flatMap((s) => ['--set', s]),
  ]);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  const rule = parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as { kind?: string; spec: { groups: Array<{ rules: Rule[] }> } } | null)
    .find((doc) => doc?.kind === 'PrometheusRule');
  if (!rule) throw new Error(`no PrometheusRule rendered:\n${result.stdout}`);
  return rule.spec;
}

const rulesOf = (spec: { groups: Array<{ rules: Rule[] }> }) => spec.groups.flatMap((group) => group.rules);

let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'wro-alerts-'));
  const spec = await renderRules([
    'metrics.prometheusRule.runbookBaseUrl=https://runbooks.test/troubleshooting.md',
  ]);
  writeFileSync(join(work, 'rules.yaml'), stringify(spec));
  copyFileSync(join(projectRoot, 'test/alerts/prometheus-rules.test.yaml'), join(work, 'tests.yaml'));
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('promtool accepts the rendered rules', async () => {
  const result = await tool_('promtool', ['check', 'rules', join(work, 'rules.yaml')]);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
});

test('every alert fires when it should and only then', async () => {
  const result = await tool_('promtool', ['test', 'rules', join(work, 'tests.yaml')]);
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.code).toBe(0);
});

test('every alert reads only its release’s job and namespace, with a severity and a runbook section', async () => {
  const rules = rulesOf(await renderRules());
  expect(rules.map((rule) => rule.alert)).toEqual(ALERTS);
  const troubleshooting = readFileSync(join(projectRoot, 'docs/troubleshooting.md'), 'utf8');
  const { appVersion } = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string };
  for (const rule of rules) {
    for (const selector of rule.expr.match(/\w+\{[^}]*\}/g) ?? []) {
      expect(selector).toContain('job="wro-workflow-resume-operator-metrics",namespace="wro-system"');
    }
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(Object.keys(rule.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
    expect(rule.annotations.runbook_url).toBe(
      `https://github.com/workflow-resume-operator/workflow-resume-operator/blob/v${appVersion}/docs/troubleshooting.md#${rule.alert.toLowerCase()}`,
    );
    expect(troubleshooting).toMatch(new RegExp(`^### ${rule.alert}$`, 'm'));
  }
});

test('each alert can be tuned and turned off, and the scope and labels set', async () => {
  const rules = rulesOf(
    await renderRules([
      'metrics.prometheusRule.alerts.WorkflowResumeObjectsSkipped.enabled=false',
      'metrics.prometheusRule.alerts.WorkflowResumeRequestsFailing.window=1h',
      'metrics.prometheusRule.alerts.WorkflowResumeQueueBacklog.threshold=25',
      'metrics.prometheusRule.alerts.WorkflowResumeNoLeader.severity=warning',
      'metrics.prometheusRule.alerts.WorkflowResumeNoLeader.for=2m',
      'metrics.prometheusRule.job=operator',
      'metrics.prometheusRule.namespace=ops',
      'metrics.prometheusRule.alertLabels.team=platform',
    ]),
  );
  const byName = Object.fromEntries(rules.map((rule) => [rule.alert, rule]));
  expect(byName.WorkflowResumeObjectsSkipped).toBeUndefined();
  expect(rules).toHaveLength(ALERTS.length - 1);
  expect(byName.WorkflowResumeRequestsFailing!.expr).toContain('[1h]');
  expect(byName.WorkflowResumeQueueBacklog!.expr).toMatch(/> 25$/);
  expect(byName.WorkflowResumeNoLeader).toMatchObject({
    for: '2m',
    labels: { severity: 'warning', team: 'platform' },
  });
  expect(byName.WorkflowResumeNoLeader!.expr).toContain('{job="operator",namespace="ops"}');
});
