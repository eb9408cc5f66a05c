// The reconciler's requests: the cache's copy, or the operator's own last write laid over it,
// and nothing at all once the cache no longer holds the request, however late a write's answer.
import type * as k8s from '@kubernetes/client-node';
import type { ResumeRequest } from '../../src/api/resume-request.js';
import { CachedRequestStore } from '../../src/controller/request-store.js';
import { silentLogger } from '../../src/observability/logger.js';

const request = (resourceVersion: string, phase?: 'Waiting' | 'Succeeded'): ResumeRequest => ({
  apiVersion: 'resume.workflows.dev/v1alpha1',
  kind: 'ResumeRequest',
  metadata: { namespace: 'ns', name: 'rr', uid: 'u1', resourceVersion, generation: 1 },
  spec: { taskId: '42', eventType: 'pr-created' },
  ...(phase ? { status: { phase } } : {}),
});

function store() {
  const cache = new Map<string, ResumeRequest>();
  const requests = new CachedRequestStore(
    (namespace, name) => cache.get(`${namespace}/${name}`),
    {} as k8s.CustomObjectsApi,
    silentLogger(),
  );
  return { cache, requests };
}

describe('CachedRequestStore', () => {
  it('serves its own write while the cache lags behind it', async () => {
    const { cache, requests } = store();
    cache.set('ns/rr', request('5'));
    requests.written(request('6', 'Waiting'));
    expect((await requests.get('ns', 'rr'))?.status?.phase).toBe('Waiting');
  });

  it('serves nothing once the cache saw the request deleted, even when a write’s answer arrives after', async () => {
    const { cache, requests } = store();
    cache.set('ns/rr', request('5'));
    // The status write is on its way; the request is deleted and the watch says so first.
    cache.delete('ns/rr');
    requests.gone('ns/rr');
    requests.written(request('6', 'Succeeded'));
    expect(await requests.get('ns', 'rr')).toBeUndefined();
    // And the same when the deletion is seen between the write's answer and the next turn.
    cache.set('ns/rr', request('7'));
    requests.written(request('8', 'Waiting'));
    cache.delete('ns/rr');
    expect(await requests.get('ns', 'rr')).toBeUndefined();
  });
});
