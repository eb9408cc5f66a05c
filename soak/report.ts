// The soak's figures: the JSON object of the contract (last stdout line) and a table on stderr.
import { percentile, round } from '../bench/stats.js';
import type { ChaosTally } from './chaos.js';
import type { FaultKind } from './schedule.js';
import type { Violation } from './invariants.js';
import { countViolations } from './invariants.js';
import type { Ledger } from './ledger.js';
import type { Workflow } from '../src/api/workflow.js';
import { readNodes } from '../src/domain/compressed-nodes.js';
import { STAGES } from './histories.js';

export interface SoakReport {
  seconds: number;
  tasks: number;
  events: number;
  requests: number;
  faults: Record<string, number>;
  resumes: number;
  double_resumes: number;
  lost: number;
  stuck: number;
  wrongly_advanced: number;
  latency_ms: { p50: number | null; p99: number | null };
}

/**
 * Time to resume, per stage of the soak's runs resumed by a valid event: from the moment it could
 * be resumed (the later of its suspend node's start and its first valid request's creation) to
 * the node's finish, which the resume itself writes. From the API's timestamps, so to the second.
 */
export function resumeLatencies(ledger: Ledger, workflows: readonly Workflow[]): number[] {
  const latencies: number[] = [];
  for (const workflow of workflows) {
    const nodes = readNodes(workflow);
    if (!nodes.ok) continue;
    for (const [index, stage] of STAGES.entries()) {
      const node = Object.values(nodes.nodes).find((n) => n.displayName === stage.suspendNode);
      const requestedAt = ledger.firstValidAt.get(`${workflow.metadata.name}/${index}`);
      const [started, finished] = [Date.parse(node?.startedAt ?? ''), Date.parse(node?.finishedAt ?? '')];
      if (node?.phase !== 'Succeeded' || requestedAt === undefined || !(started > 0 && finished > 0))
        continue;
      latencies.push(Math.max(0, finished - Math.max(started, requestedAt)));
    }
  }
  return latencies;
}

export function buildReport(options: {
  seconds: number;
  tasks: number;
  ledger: Ledger;
  /** Requests the run's deliveries and applies made, deleted ones included. */
  requests: number;
  chaos: ChaosTally;
  /** The kinds the run's schedule draws from: each is reported, 0 when none was injected. */
  faultKinds: readonly FaultKind[];
  resumes: number;
  violations: readonly Violation[];
  latencies: readonly number[];
}): SoakReport {
  const { ledger, latencies } = options;
  const counts = ledger.counts;
  const events = [...counts]
    .filter(([what]) => !['failed-delivery', 'unanswered', 'created', 'deleted'].includes(what))
    .reduce((sum, [, n]) => sum + n, 0);
  const at = (p: number) => (latencies.length === 0 ? null : round(percentile(latencies, p), 0));
  return {
    seconds: options.seconds,
    tasks: options.tasks,
    events,
    requests: options.requests,
    faults: Object.fromEntries(
      options.faultKinds.map((kind) => [kind, options.chaos.injected.get(kind) ?? 0]),
    ),
    resumes: options.resumes,
    ...countViolations(options.violations),
    latency_ms: { p50: at(50), p99: at(99) },
  };
}

const row = (label: string, value: string | number) => `  ${label.padEnd(34)} ${value}`;

export function summaryTable(report: SoakReport, ledger: Ledger, chaos: ChaosTally): string[] {
  const count = (what: Parameters<Ledger['counts']['get']>[0]) => ledger.counts.get(what) ?? 0;
  return [
    `soak: ${report.seconds} s, ${report.tasks} tasks, ${ledger.runs.size} runs`,
    row('events (deliveries and applies)', report.events),
    ...[...ledger.counts]
      .filter(([what]) => !['created', 'deleted'].includes(what))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([what, n]) => row(`  ${what}`, n)),
    row('requests created', report.requests),
    row('requests deleted mid-flight', count('deleted')),
    row(
      'faults',
      Object.values(report.faults).reduce((a, b) => a + b, 0),
    ),
    ...Object.entries(report.faults).map(([kind, n]) => row(`  ${kind}`, n)),
    row('  replicas that exited by themselves', chaos.replicaExits),
    row('  pipeline processes that exited by themselves', chaos.pipelineExits),
    row('  watch streams dropped', chaos.droppedWatchStreams),
    row('stages resumed', report.resumes),
    row('double resumes', report.double_resumes),
    row('lost', report.lost),
    row('stuck', report.stuck),
    row('wrongly advanced', report.wrongly_advanced),
    row('time to resume p50 / p99 (ms)', `${report.latency_ms.p50} / ${report.latency_ms.p99}`),
  ];
}

export function describeViolation(violation: Violation): string {
  return (
    `${violation.kind}: task ${violation.task}, stage ${violation.stage}, workflow ${violation.workflow}, ` +
    `requests [${violation.requests.join(', ')}]: ${violation.detail}`
  );
}
