// `make bench`: OURS (the operator, driven by ResumeRequests) against ARGO_CLI (`argo resume`)
// on one local control plane, in passes over fresh workflows: OURS timed at every level of
// client calls in flight, ARGO_CLI timed at the same levels, and OURS again at the headline
// level with its API requests counted. Progress goes to stderr; the last stdout line
// is the JSON object of docs/interfaces.md. The plane, the operator and every wait are bounded by one
// hard deadline, and a plane this run started is always taken down, on failure and on SIGINT
// or SIGTERM too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countOursRequests } from './count-ours-requests.js';
import { Deadline } from './deadline.js';
import { measureArgoCli } from './measure-argo-cli.js';
import { measureOurs, type OursResult } from './measure-ours.js';
import { startPlane, stopPlane } from './plane.js';
import { progress } from './progress.js';
import { buildReport, buildScaleReport, scaleSummary, summaryTable } from './report.js';
import { DELIVERIES_IN_FLIGHT, runPipeline } from './pipeline.js';
import { buildPipelineReport, pipelineSummary } from './pipeline-report.js';
import { runRate } from './rate.js';
import { buildRateReport, rateSummary } from './rate-report.js';
import { runScale } from './scale.js';
import { runHostile } from './hostile.js';
import { settingsOrExit } from './env-settings.js';
import { loadSettings } from './settings.js';

/** Time left after the deadline for tearing the plane down before the process gives up on it. */
const TEARDOWN_GRACE_MS = 120_000;

async function main(): Promise<number> {
  const settings = settingsOrExit(loadSettings);
  const deadline = new Deadline(settings.deadlineMs);
  const owned = settings.planeDir === undefined;
  const dir = settings.planeDir ?? mkdtempSync(join(tmpdir(), 'wro-bench-'));
  const { n, warmUp, concurrency, concurrencies } = settings;

  deadline.cancelOnSignals();
  process.once('unhandledRejection', (error) => deadline.cancel(`unexpected failure: ${String(error)}`));
  setTimeout(() => {
    progress('the plane could not be taken down in time; giving up');
    process.exit(1);
  }, settings.deadlineMs + TEARDOWN_GRACE_MS).unref();

  const shape = settings.hostile
    ? 'hostile: one namespace tries to exhaust the operator while another is resumed'
    : settings.scale
      ? `scale: ${settings.scale.workflows} workflows, ${settings.scale.finished} finished requests, ` +
        `a burst of ${settings.scale.burst} at ${concurrency} in flight, argo sample ${settings.scale.argoSample}`
      : settings.pipeline
        ? `pipeline: ${settings.pipeline.rates.join(', ')} GitHub deliveries per second for ${settings.pipeline.seconds} s ` +
          `each through the plane's Argo Events pipeline, seed ${settings.pipeline.seed}, after ${warmUp} untimed`
        : settings.rate
          ? `rate: ${settings.rate.rates.join(', ')} arrivals per second for ${settings.rate.seconds} s each, ` +
            `${settings.rate.inFlight} call(s) in flight, seed ${settings.rate.seed}, after ${warmUp} untimed`
          : `n=${n} after ${warmUp} untimed, ${concurrencies.join(', ')} client calls in flight (headline ${concurrency})`;
  progress(
    `${shape}, deadline ${settings.deadlineMs / 1000} s, ` +
      `plane ${owned ? `started in ${dir}` : `reused from ${dir}`}`,
  );
  let output: string | undefined;
  try {
    const plane = await startPlane(dir, owned, deadline, { events: settings.pipeline !== undefined });
    progress('plane ready');
    if (settings.hostile) {
      const report = await runHostile({ plane, deadline });
      progress(
        `hostile: RSS ${report.rss_mib.ready} MiB ready, ${report.rss_mib.after_attack} after, peak ${report.rss_mib.peak}; ` +
          `resumed in ${report.tenant_resume_ms.quiet} ms quiet, ${report.tenant_resume_ms.under_attack} ms under attack; ` +
          `skipped ${JSON.stringify(report.skipped)}`,
      );
      output = JSON.stringify(report);
    } else if (settings.scale) {
      const report = buildScaleReport(
        await runScale({ plane, scale: settings.scale, concurrency, deadline }),
      );
      for (const line of scaleSummary(report)) progress(line);
      output = JSON.stringify(report);
    } else if (settings.pipeline) {
      const result = await runPipeline({ plane, rate: settings.pipeline, warmUp, n, deadline });
      const report = buildPipelineReport(result, DELIVERIES_IN_FLIGHT);
      for (const line of pipelineSummary(report)) progress(line);
      output = JSON.stringify(report);
    } else if (settings.rate) {
      const report = buildRateReport(await runRate({ plane, rate: settings.rate, warmUp, n, deadline }));
      for (const line of rateSummary(report)) progress(line);
      output = JSON.stringify(report);
    } else {
      const ours = new Map<number, OursResult>();
      for (const level of concurrencies) {
        ours.set(level, await measureOurs({ plane, n, warmUp, concurrency: level, deadline }));
      }
      const argoCli = await measureArgoCli({ plane, n, warmUp, concurrencies, deadline });
      const requests = await countOursRequests({ plane, n, concurrency, deadline });
      const report = buildReport(n, concurrency, ours, requests, argoCli);
      for (const line of summaryTable(report, requests)) progress(line);
      output = JSON.stringify(report);
    }
  } catch (error) {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (owned) {
    const keepFiles = output === undefined;
    progress(`stopping the plane in ${dir}${keepFiles ? ' (its files are kept for inspection)' : ''}`);
    try {
      await stopPlane(dir, owned, keepFiles);
    } catch (error) {
      progress(`tear-down failed: ${String(error)}`);
      return 1;
    }
  }
  if (deadline.interrupted) return 130;
  if (output === undefined) return 1;
  process.stdout.write(`${output}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
