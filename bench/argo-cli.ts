// The baseline: `argo resume`, the way a person or a script resumes a suspended workflow without
// this operator. Run as the plane's admin against the Kubernetes API (no argo-server), with a
// clean environment so no ARGO_SERVER or other setting of the machine leaks in.
import { runCommandOk } from './command.js';
import type { BenchPlane } from './plane.js';

export async function argoResume(plane: BenchPlane, namespace: string, name: string): Promise<void> {
  await runCommandOk(plane.argoBin, ['resume', name, '-n', namespace, '--kubeconfig', plane.kubeconfigPath], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    timeoutMs: 60_000,
  });
}
