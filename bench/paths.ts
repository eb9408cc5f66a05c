// Where the benchmark finds the project's pieces. It runs compiled, from dist/bench/.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(import.meta.dirname, '../..');
if (!existsSync(join(projectRoot, 'package.json'))) {
  throw new Error(`${projectRoot} is not the project root: run the compiled benchmark, dist/bench/run.js`);
}

export const paths = {
  plane: join(projectRoot, 'hack/plane'),
  operatorKubeconfig: join(projectRoot, 'hack/operator-kubeconfig'),
  operatorMain: join(projectRoot, 'dist/operator.mjs'),
  playWorkflow: join(projectRoot, 'test/fixtures/workflows/play-suspend.yaml'),
};
