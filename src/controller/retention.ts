// When the operator deletes a finished request. By default, --ttl-seconds-after-finished after
// it finished (0: never). A request that says otherwise in spec.ttlSecondsAfterFinished gets its
// own TTL. A request that Argo CD or Flux manages (their tracking label or annotation is on it)
// is never deleted unless its own spec asks: the tool would create it again from Git, and a
// recreated request must not be an occasion to act again.
import type { ObjectMetadata } from '../api/object-metadata.js';
import type { ResumeRequest } from '../api/resume-request.js';

/** The labels and annotations by which Argo CD and Flux track what they apply. */
export const GITOPS_TRACKING = {
  annotations: ['argocd.argoproj.io/tracking-id'],
  labels: ['app.kubernetes.io/instance', 'kustomize.toolkit.fluxcd.io/name', 'helm.toolkit.fluxcd.io/name'],
} as const;

/** The tracking label or annotation that makes a request GitOps-managed, if it carries one. */
export function gitOpsTracking(metadata: ObjectMetadata): string | undefined {
  return (
    GITOPS_TRACKING.annotations.find((key) => metadata.annotations?.[key] !== undefined) ??
    GITOPS_TRACKING.labels.find((key) => metadata.labels?.[key] !== undefined)
  );
}

/** Only the tracking keys of the metadata's labels and annotations: what retention reads. */
export function trackingMetadata(metadata: ObjectMetadata): Pick<ObjectMetadata, 'labels' | 'annotations'> {
  const pick = (from: Record<string, string> | undefined, keys: readonly string[]) => {
    const kept = keys.filter((key) => from?.[key] !== undefined).map((key) => [key, from![key]!]);
    return kept.length === 0 ? undefined : Object.fromEntries(kept);
  };
  const labels = pick(metadata.labels, GITOPS_TRACKING.labels);
  const annotations = pick(metadata.annotations, GITOPS_TRACKING.annotations);
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

/** The TTL that applies to a request, in seconds; undefined when it is kept. */
export function ttlSecondsOf(request: ResumeRequest, defaultTtlSeconds: number): number | undefined {
  const own = request.spec.ttlSecondsAfterFinished;
  if (own !== undefined) return own;
  if (gitOpsTracking(request.metadata) !== undefined) return undefined;
  return defaultTtlSeconds === 0 ? undefined : defaultTtlSeconds;
}

/** Milliseconds until a finished request's TTL runs out (≤ 0: due); undefined when it never expires. */
export function expiresInMs(
  request: ResumeRequest,
  defaultTtlSeconds: number,
  now: Date,
): number | undefined {
  const ttl = ttlSecondsOf(request, defaultTtlSeconds);
  if (ttl === undefined) return undefined;
  const completed = Date.parse(request.status?.completionTime ?? '');
  if (!Number.isFinite(completed)) return undefined;
  return completed + ttl * 1000 - now.getTime();
}
