// A KubeConfig whose requests share connections. client-node gives every request a new undici
// Agent, so each API call opens a new TLS connection; under a burst of resumes the handshakes,
// not the API server, set the pace. This keeps one Agent per cluster and user and hands it to
// every request, renewing it periodically so rotated certificate files are picked up.
import * as k8s from '@kubernetes/client-node';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const RENEW_AFTER_MS = 10 * 60_000;

export class PooledKubeConfig extends k8s.KubeConfig {
  private readonly pooled = new Map<string, { dispatcher: Dispatcher; created: number }>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = JSON.stringify([this.getCurrentCluster()?.server, this.getCurrentUser()?.name]);
    const now = Date.now();
    const entry = this.pooled.get(key);
    if (entry && now - entry.created < RENEW_AFTER_MS) {
      context.setDispatcher(entry.dispatcher);
      void fresh.close();
      return;
    }
    this.pooled.set(key, { dispatcher: fresh, created: now });
    // Requests still running on the old one finish first; close() waits for them.
    if (entry) void entry.dispatcher.close();
  }
}

/** KUBECONFIG, or the in-cluster ServiceAccount, as client-node finds them. */
export function loadKubeConfig(): k8s.KubeConfig {
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
