// Where the operator's CPU time goes, from a V8 CPU profile (`BENCH_CPU_PROFILE_DIR`): the time
// of the samples taken inside the benchmark's measured windows, attributed through the bundle's
// source map to the source file or package each sampled function comes from, and to the
// function itself. Pure but for reading files, so the attribution is tested on small profiles.
import { SourceMap } from 'node:module';

/** The parts of a `.cpuprofile` (Chrome DevTools' format, which `node --cpu-prof` writes) read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  /** Microseconds of the monotonic clock (CLOCK_MONOTONIC, as process.hrtime reads it). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of measured work, in microseconds of the monotonic clock. */
export interface Window {
  startUs: number;
  endUs: number;
}

export interface Share {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time inside the windows, idle excluded. */
  busyMs: number;
  /** By source file of the project (`src/…`), package (`node_modules/<name>`), Node itself or V8. */
  bySource: Share[];
  /** By function, named with its source file. */
  byFunction: Share[];
}

/** Where a sampled frame comes from, through the source map when the frame is in the bundle. */
export function sourceOf(url: string, line: number, column: number, map: SourceMap | undefined): string {
  if (url === '') return '(V8)';
  if (url.startsWith('node:')) return 'node (built-in modules)';
  let path = url.replace(/^file:\/\//, '');
  if (map && path.endsWith('.mjs')) {
    const entry = map.findEntry(line, column) as { originalSource?: string };
    path = entry.originalSource ?? path;
  }
  const packaged = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (packaged) return `node_modules/${packaged[1]}`;
  return /\/((?:src|bench)\/.*)$/.exec(path)?.[1] ?? path;
}

const SPECIAL: Record<string, string> = {
  '(garbage collector)': '(garbage collector)',
  '(program)': '(program: native code, compilation)',
  '(idle)': '(idle)',
};

function shares(totals: Map<string, number>, busyUs: number, top: number): Share[] {
  return [...totals]
    .sort(([, a], [, b]) => b - a)
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 100) / 10,
      percent: busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 10,
    }));
}

/**
 * Self time of the samples inside `windows` (all samples when none are given), by source and by
 * function; `top` limits each list.
 */
export function summarizeProfile(
  profile: CpuProfile,
  windows: readonly Window[],
  map: SourceMap | undefined,
  top = 25,
): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const bySource = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inWindow = (atUs: number) =>
    windows.length === 0 || windows.some((window) => atUs >= window.startUs && atUs <= window.endUs);
  let at = profile.startTime;
  let busyUs = 0;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    // A sample's time is the gap to the next one.
    const us = profile.timeDeltas[index + 1] ?? 0;
    const frame = nodes.get(id);
    if (!frame || !inWindow(at) || frame.functionName === '(idle)') return;
    busyUs += us;
    const special = SPECIAL[frame.functionName];
    const source = special ?? sourceOf(frame.url, frame.lineNumber, frame.columnNumber, map);
    bySource.set(source, (bySource.get(source) ?? 0) + us);
    const fn = special ?? `${frame.functionName || '(anonymous)'} (${source})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  return {
    busyMs: Math.round(busyUs / 100) / 10,
    bySource: shares(bySource, busyUs, top),
    byFunction: shares(byFunction, busyUs, top),
  };
}
