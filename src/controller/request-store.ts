// The reconciler's ResumeRequests: the cached copy, or the operator's own last status write while
// the watch has not brought it back yet (runtime/own-writes.ts), so a turn reads nothing from the
// API; a request the cache no longer holds is gone, whatever was written to it. The exception is
// a request whose validation rules read `event.*`: the cache leaves the free-form eventPayload
// out, so that request is read whole. A finished request is deleted with preconditions so a
// changed or recreated one survives.
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type ResumeRequest } from '../api/resume-request.js';
import { classifyError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { apiCall } from '../runtime/api-call.js';
import { OwnWrites } from '../runtime/own-writes.js';
import { objectKey } from '../runtime/reflector.js';
import type { RequestStore } from './reconciler.js';
import { projectRequest } from './request-projection.js';

const resumeRequests = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export type CachedRequest = (namespace: string, name: string) => ResumeRequest | undefined;

const readsEventPayload = (request: ResumeRequest) =>
  request.spec.validationRules?.some((rule) => rule.field.startsWith('event')) ?? false;

export class CachedRequestStore implements Pick<RequestStore, 'get' | 'delete'> {
  private readonly ownWrites = new OwnWrites<ResumeRequest>();

  constructor(
    private readonly cached: CachedRequest,
    private readonly api: k8s.CustomObjectsApi,
    private readonly logger: Logger,
  ) {}

  /** The request as the operator last knew it: its own write, or the cache's copy. */
  latest(namespace: string, name: string): ResumeRequest | undefined {
    return this.ownWrites.latest(`${namespace}/${name}`, this.cached(namespace, name));
  }

  async get(namespace: string, name: string): Promise<ResumeRequest | undefined> {
    const latest = this.latest(namespace, name);
    return latest && readsEventPayload(latest) ? this.readWhole(namespace, name) : latest;
  }

  /** Called with what each status write returned. */
  written(request: ResumeRequest): void {
    const cached = this.cached(request.metadata.namespace, request.metadata.name);
    // The watch may have delivered the request's deletion before the write's own answer arrived:
    // nothing of a request the cache no longer holds is kept, so no turn acts on it again.
    if (!cached) return this.ownWrites.forget(objectKey(request));
    this.ownWrites.remember(projectRequest(request));
    // The watch may have delivered this very version before the write's own answer arrived.
    this.ownWrites.observe(cached);
  }

  /** Called with each copy of a request the cache takes in. */
  seen(request: ResumeRequest): void {
    this.ownWrites.observe(request);
  }

  /** Called when the cache sees the request deleted. */
  gone(key: string): void {
    this.ownWrites.forget(key);
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

  private async readWhole(namespace: string, name: string): Promise<ResumeRequest | undefined> {
    try {
      return (await apiCall('get', 'resumerequests', `${namespace}/${name}`, () =>
        this.api.getNamespacedCustomObject({ ...resumeRequests, namespace, name }),
      )) as ResumeRequest;
    } catch (error) {
      if (classifyError(error) === 'not-found') return undefined;
      throw error;
    }
  }
}
