// Helm (hack/tool helm, built once from its module and cached) against the plane the test uses.
import { join } from 'node:path';
import { plane, projectRoot, run } from './plane.js';

/** This tree's chart. */
export const chartDir = join(projectRoot, 'charts/workflow-resume-operator');

/** `helm ARGS` as the plane's admin; throws with helm's stderr when it fails. */
export async function helm(args: string[], timeoutMs = 900_000): Promise<string> {
  // A cold cache builds helm first.
  const result = await run(join(projectRoot, 'hack/tool'), ['helm', ...args], {
    env: { KUBECONFIG: plane().kubeconfigPath },
    timeoutMs,
  });
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}
