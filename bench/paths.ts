// Where the benchmark finds the project's pieces. It runs compiled, from dist/bench/, and its
// pure parts are tested from bench/: the project root is the nearest folder with package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function nearestPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: run dist/bench/run.js`);
  }
}

export const projectRoot = nearestPackageRoot(import.meta.dirname);

export const paths = {
  plane: join(projectRoot, 'hack/plane'),
  operatorKubeconfig: join(projectRoot, 'hack/operator-kubeconfig'),
  /** BENCH_OPERATOR_BUNDLE runs another build of the operator, to compare two versions on one plane. */
  operatorMain: process.env.BENCH_OPERATOR_BUNDLE ?? join(projectRoot, 'dist/operator.mjs'),
  playWorkflow: join(projectRoot, 'test/fixtures/workflows/play-suspend.yaml'),
};
