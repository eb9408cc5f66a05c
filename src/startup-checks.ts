// Checks, before the operator starts, that the cluster can run it: the API server answers, the
// operator's identity holds the permissions it uses, the CRDs are installed and the lease
// namespace exists. A first run against a half-installed cluster then stops with one line that
// says what to fix, instead of retrying the same failing call every few seconds forever.
import * as k8s from '@kubernetes/client-node';
import type { Config } from './config.js';
import { GROUP, PLURAL, VERSION } from './api/resume-request.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from './api/workflow.js';
import { classifyError, describeApiCall } from './domain/errors.js';

/** How long start-up waits for any one answer: an address that drops packets must not hang it. */
const CALL_TIMEOUT_MS = 10_000;

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Absent: all namespaces. */
  namespace?: string;
}

export interface CustomResource {
  group: string;
  version: string;
  plural: string;
  /** What to tell the user when the CRD is missing. */
  install: string;
}

export const OPERATOR_RESOURCES: CustomResource[] = [
  {
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    install: 'install it with `kubectl apply -k crds` (or the Helm chart)',
  },
  {
    group: WORKFLOW_GROUP,
    version: WORKFLOW_VERSION,
    plural: WORKFLOW_PLURAL,
    install: 'install Argo Workflows in the cluster first',
  },
];

/** What the operator calls, per watched namespace (all when none are set) and for its lease. */
export function requiredPermissions(
  config: Pick<Config, 'namespaces' | 'leaderElection' | 'leaseNamespace'>,
): Permission[] {
  const scopes = config.namespaces.length > 0 ? config.namespaces : [undefined];
  const permissions = scopes.flatMap((namespace) => [
    ...['list', 'watch'].map((verb) => ({ verb, group: GROUP, resource: PLURAL, namespace })),
    { verb: 'patch', group: GROUP, resource: PLURAL, subresource: 'status', namespace },
    ...['list', 'watch', 'update', 'patch'].map((verb) => ({
      verb,
      group: WORKFLOW_GROUP,
      resource: WORKFLOW_PLURAL,
      namespace,
    })),
    ...['create', 'patch'].map((verb) => ({ verb, group: '', resource: 'events', namespace })),
  ]);
  if (config.leaderElection) {
    for (const verb of ['get', 'create', 'update'])
      permissions.push({
        verb,
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: config.leaseNamespace,
      });
  }
  return permissions;
}

export function describePermission(p: Permission): string {
  const resource = `${p.resource}${p.group ? `.${p.group}` : ''}${p.subresource ? `/${p.subresource}` : ''}`;
  return `${p.verb} ${resource} ${p.namespace ? `in ${p.namespace}` : 'in all namespaces'}`;
}

/** Thrown with the one line that tells the user what to fix. */
export class StartupCheckError extends Error {
  override readonly name = 'StartupCheckError';
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' }),
        ),
      CALL_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer)) as Promise<T>;
}

async function checkReachable(kubeConfig: k8s.KubeConfig): Promise<void> {
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no server)';
  try {
    await withTimeout(kubeConfig.makeApiClient(k8s.VersionApi).getCode());
  } catch (error) {
    const detail = describeApiCall('get', 'version', server, error).replace(/^get version \S+: /, '');
    throw new StartupCheckError(`cannot reach the Kubernetes API server at ${server}: ${detail}`);
  }
}

async function whoAmI(kubeConfig: k8s.KubeConfig): Promise<string> {
  try {
    const review = await withTimeout(
      kubeConfig.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      }),
    );
    return review.status?.userInfo?.username ?? 'the identity in KUBECONFIG';
  } catch {
    return 'the identity in KUBECONFIG';
  }
}

async function checkPermissions(kubeConfig: k8s.KubeConfig, permissions: Permission[]): Promise<void> {
  const api = kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
  const missing: Permission[] = [];
  await Promise.all(
    permissions.map(async (p) => {
      const review = await withTimeout(
        api.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { ...p } },
          },
        }),
      ).catch((error: unknown) => {
        throw new StartupCheckError(describeApiCall('create', 'selfsubjectaccessreviews', '-', error));
      });
      if (!review.status?.allowed) missing.push(p);
    }),
  );
  if (missing.length === 0) return;
  const who = await whoAmI(kubeConfig);
  const list = permissions.filter((p) => missing.includes(p)).map(describePermission);
  throw new StartupCheckError(
    `${who} may not ${list.join(', ')}: install the operator's RBAC (kubectl apply -k config/rbac, or the Helm chart) and bind it to this identity`,
  );
}

export async function checkCustomResource(
  kubeConfig: k8s.KubeConfig,
  resource: CustomResource,
  namespace: string | undefined,
): Promise<void> {
  const api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const { group, version, plural } = resource;
  try {
    await withTimeout(
      namespace
        ? api.listNamespacedCustomObject({ group, version, plural, namespace, limit: 1 })
        : api.listClusterCustomObject({ group, version, plural, limit: 1 }),
    );
  } catch (error) {
    if (classifyError(error) === 'not-found') {
      throw new StartupCheckError(
        `the CustomResourceDefinition ${plural}.${group} (${version}) is not installed: ${resource.install}`,
      );
    }
    throw new StartupCheckError(
      describeApiCall('list', `${plural}.${group}`, namespace ?? '(all namespaces)', error),
    );
  }
}

/** A server-side dry run of creating the lease: only a missing namespace answers 404. */
async function checkLeaseNamespace(
  kubeConfig: k8s.KubeConfig,
  config: Pick<Config, 'leaseNamespace' | 'leaseName'>,
): Promise<void> {
  const namespace = config.leaseNamespace;
  try {
    await withTimeout(
      kubeConfig.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
        group: 'coordination.k8s.io',
        version: 'v1',
        plural: 'leases',
        namespace,
        dryRun: 'All',
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: config.leaseName, namespace },
        },
      }),
    );
  } catch (error) {
    const kind = classifyError(error);
    if (kind === 'conflict') return; // the lease exists, so its namespace does
    if (kind === 'not-found') {
      throw new StartupCheckError(
        `the lease namespace ${namespace} does not exist: create it (kubectl create namespace ${namespace}) or choose an existing one with --lease-namespace=NAME (WRO_LEASE_NAMESPACE)`,
      );
    }
    throw new StartupCheckError(
      describeApiCall('create', 'leases', `${namespace}/${config.leaseName}`, error),
    );
  }
}

/** Runs every check in order; throws a StartupCheckError naming the first problem found. */
export async function checkCluster(kubeConfig: k8s.KubeConfig, config: Config): Promise<void> {
  await checkReachable(kubeConfig);
  await checkPermissions(kubeConfig, requiredPermissions(config));
  for (const resource of OPERATOR_RESOURCES)
    await checkCustomResource(kubeConfig, resource, config.namespaces[0]);
  if (config.leaderElection) await checkLeaseNamespace(kubeConfig, config);
}
