// Which finished requests are deleted, and when: the operator's TTL, a request's own, and never a
// request Argo CD or Flux tracks unless it asks.
import type { ResumeRequest } from '../../src/api/resume-request.js';
import { projectRequest } from '../../src/controller/request-projection.js';
import { expiresInMs, gitOpsTracking, ttlSecondsOf } from '../../src/controller/retention.js';

const finished = (extra: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ttl?: number;
}) =>
  ({
    apiVersion: 'resume.workflows.dev/v1alpha1',
    kind: 'ResumeRequest',
    metadata: {
      name: 'r',
      namespace: 'ns',
      ...(extra.labels ? { labels: extra.labels } : {}),
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', ...extra.annotations },
    },
    spec: {
      taskId: '42',
      eventType: 'pr-created',
      ...(extra.ttl === undefined ? {} : { ttlSecondsAfterFinished: extra.ttl }),
    },
    status: { phase: 'Succeeded', reason: 'Resumed', completionTime: '2026-12-03T10:00:00Z' },
  }) as ResumeRequest;

const WEEK = 604800;
const now = new Date('2026-12-03T10:00:10Z');

test('a request without GitOps tracking expires after the operator’s TTL, or never with 0', () => {
  expect(ttlSecondsOf(finished({}), WEEK)).toBe(WEEK);
  expect(expiresInMs(finished({}), WEEK, now)).toBe(WEEK * 1000 - 10_000);
  expect(ttlSecondsOf(finished({}), 0)).toBeUndefined();
});

test('its own spec.ttlSecondsAfterFinished wins, 0 meaning at once', () => {
  expect(ttlSecondsOf(finished({ ttl: 60 }), WEEK)).toBe(60);
  expect(expiresInMs(finished({ ttl: 0 }), 0, now)).toBe(-10_000);
});

test.each([
  [
    'Argo CD, annotation tracking',
    { annotations: { 'argocd.argoproj.io/tracking-id': 'app:resume.workflows.dev/ResumeRequest:ns/r' } },
  ],
  ['Argo CD, label tracking', { labels: { 'app.kubernetes.io/instance': 'app' } }],
  [
    'Flux, Kustomization',
    {
      labels: {
        'kustomize.toolkit.fluxcd.io/name': 'apps',
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      },
    },
  ],
  ['Flux, HelmRelease', { labels: { 'helm.toolkit.fluxcd.io/name': 'apps' } }],
])(
  'a request tracked by %s is kept unless it asks, also after projection into the cache',
  (_tool, metadata) => {
    const request = finished(metadata);
    expect(gitOpsTracking(request.metadata)).toBeDefined();
    expect(ttlSecondsOf(request, WEEK)).toBeUndefined();
    const cached = projectRequest(request);
    expect(expiresInMs(cached, WEEK, now)).toBeUndefined();
    expect(cached.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(expiresInMs(projectRequest(finished({ ...metadata, ttl: 3600 })), WEEK, now)).toBe(3_590_000);
  },
);
