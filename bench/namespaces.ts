// A fresh namespace per measurement. The plane runs no namespace controller, so namespaces are
// never deleted; a random suffix keeps runs against one reused PLANE_DIR apart.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Deadline } from './deadline.js';
import { retryWhileBusy } from './retry.js';

export async function createNamespace(
  kubeConfig: k8s.KubeConfig,
  prefix: string,
  deadline: Deadline,
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const api = kubeConfig.makeApiClient(k8s.CoreV1Api);
  await retryWhileBusy(
    `namespace ${name} to be created`,
    () => api.createNamespace({ body: { metadata: { name } } }),
    deadline,
  );
  return name;
}
