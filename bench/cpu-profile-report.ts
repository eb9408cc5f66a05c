// `node dist/bench/cpu-profile-report.js DIR`: where the operator's CPU time went in the measured
// windows of a benchmark run with `BENCH_CPU_PROFILE_DIR=DIR`, summed over every operator of the
// run, by source and by function (cpu-profile.ts). Prints one JSON object.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { summarizeProfile, type CpuProfile, type Share, type Window } from './cpu-profile.js';
import { windowsFile } from './operator-cpu.js';
import { paths } from './paths.js';

function merge(lists: Share[][], busyMs: number): Share[] {
  const totals = new Map<string, number>();
  for (const list of lists) for (const { name, ms } of list) totals.set(name, (totals.get(name) ?? 0) + ms);
  return [...totals]
    .sort(([, a], [, b]) => b - a)
    .slice(0, 25)
    .map(([name, ms]) => ({
      name,
      ms: Math.round(ms * 10) / 10,
      percent: busyMs === 0 ? 0 : Math.round((ms / busyMs) * 1000) / 10,
    }));
}

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error(
    'usage: node dist/bench/cpu-profile-report.js DIR (a BENCH_CPU_PROFILE_DIR of a finished run)',
  );
  process.exit(2);
}
const mapFile = `${paths.operatorMain}.map`;
const map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined;
const summaries = readdirSync(dir)
  .filter((file) => file.endsWith('.cpuprofile'))
  .flatMap((file) => {
    // Node names a profile CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile.
    const pid = Number(file.split('.')[3]);
    const windowPath = join(dir, windowsFile(pid));
    // An operator with no measured window (an RSS-only start) has nothing to attribute.
    if (!existsSync(windowPath)) return [];
    const windows = JSON.parse(readFileSync(windowPath, 'utf8')) as Window[];
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    return [summarizeProfile(profile, windows, map, 200)];
  });
if (summaries.length === 0) {
  console.error(`no profile in ${dir} has a measured window`);
  process.exit(1);
}
const busyMs = summaries.reduce((sum, summary) => sum + summary.busyMs, 0);
process.stdout.write(
  `${JSON.stringify({
    profiles: summaries.length,
    busy_ms: Math.round(busyMs),
    by_source: merge(
      summaries.map((summary) => summary.bySource),
      busyMs,
    ),
    by_function: merge(
      summaries.map((summary) => summary.byFunction),
      busyMs,
    ),
  })}\n`,
);
