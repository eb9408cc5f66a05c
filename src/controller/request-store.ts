// The reconciler's reads and deletes of ResumeRequests, straight from the API server: a turn
// reads the request fresh (the cache may not hold the operator's own last status write yet), and
// a finished request is deleted with preconditions so a changed or recreated one survives.
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type ResumeRequest } from '../api/resume-request.js';
import { classifyError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { apiCall } from '../runtime/api-call.js';
import { objectKey } from '../runtime/reflector.js';
import type { RequestStore } from './reconciler.js';

const resumeRequests = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export class KubernetesRequestStore implements Pick<RequestStore, 'get' | 'delete'> {
  constructor(
    private readonly api: k8s.CustomObjectsApi,
    private readonly logger: Logger,
  ) {}

  async get(namespace: string, name: string): Promise<ResumeRequest | undefined> {
    try {
      return (await apiCall('get', 'resumerequests', `${namespace}/${name}`, () =>
        this.api.getNamespacedCustomObject({ ...resumeRequests, namespace, name }),
      )) as ResumeRequest;
    } catch (error) {
      if (classifyError(error) === 'not-found') return undefined;
      throw error;
    }
  }

  async delete(request: ResumeRequest): Promise<void> {
    try {
      await apiCall('delete', 'resumerequests', objectKey(request), () =>
        this.api.deleteNamespacedCustomObject({
          ...resumeRequests,
          namespace: request.metadata.namespace!,
          name: request.metadata.name!,
          body: {
            preconditions: { uid: request.metadata.uid, resourceVersion: request.metadata.resourceVersion },
          },
        }),
      );
      this.logger.info('deleted finished request after its TTL', { request: objectKey(request) });
    } catch (error) {
      if (classifyError(error) !== 'not-found') throw error;
    }
  }
}
