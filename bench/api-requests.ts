// Kubernetes API requests named the way RBAC and the apiserver's metrics name them: a verb and a
// resource (with subresource), from an HTTP method and path. Pure, so counts can be tallied,
// compared and printed without a server.

export type Tally = ReadonlyMap<string, number>;

/** "get resumerequests", "patch resumerequests/status", "watch workflows", "discovery", … */
export function describeApiRequest(method: string, url: string): string {
  const [path = '', query = ''] = url.split('?', 2);
  const segments = path.split('/').filter(Boolean);
  let rest: string[];
  if (segments[0] === 'api') rest = segments.slice(2);
  else if (segments[0] === 'apis') rest = segments.slice(3);
  else return 'discovery';
  if (rest.length === 0) return 'discovery';
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [resource, name, subresource] = namespaced ? rest.slice(2) : rest;
  const target = subresource ? `${resource}/${subresource}` : resource!;
  const watching = new URLSearchParams(query).get('watch');
  switch (method.toUpperCase()) {
    case 'GET':
      if (watching === 'true' || watching === '1') return `watch ${target}`;
      return `${name ? 'get' : 'list'} ${target}`;
    case 'POST':
      return `create ${target}`;
    case 'PUT':
      return `update ${target}`;
    case 'PATCH':
      return `patch ${target}`;
    case 'DELETE':
      return `${name ? 'delete' : 'deletecollection'} ${target}`;
    default:
      return `${method.toLowerCase()} ${target}`;
  }
}

/** after − before, per kind, leaving out kinds that did not change. */
export function tallySince(after: Tally, before: Tally): Map<string, number> {
  const difference = new Map<string, number>();
  for (const [kind, count] of after) {
    const delta = count - (before.get(kind) ?? 0);
    if (delta !== 0) difference.set(kind, delta);
  }
  return difference;
}

/** "12 get resumerequests, 12 update workflows", largest first. */
export function formatTally(tally: Tally): string {
  if (tally.size === 0) return 'none';
  return [...tally]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** A request that changes state (an Event create included); every other kind only reads. */
export function isWrite(kind: string): boolean {
  return WRITE_VERBS.has(kind.slice(0, kind.indexOf(' ')));
}

export interface PerResume {
  total: number;
  writes: number;
  reads: number;
  byKind: Map<string, number>;
}

/**
 * What `resumes` resumes cost, per resume and per kind: the requests counted during the run
 * minus the idle baseline scaled to the run's length (`idleScale` = run time / idle time), each
 * kind at least zero.
 */
export function perResume(run: Tally, idle: Tally, idleScale: number, resumes: number): PerResume {
  const byKind = new Map<string, number>();
  for (const [kind, count] of run) {
    const attributable = count - (idle.get(kind) ?? 0) * idleScale;
    if (attributable > 0) byKind.set(kind, attributable / resumes);
  }
  let writes = 0;
  let reads = 0;
  for (const [kind, count] of byKind) {
    if (isWrite(kind)) writes += count;
    else reads += count;
  }
  return { total: writes + reads, writes, reads, byKind };
}
