// A KubeConfig whose requests share connections. client-node gives every request a new undici
// Agent, so each API call opens a new TLS connection; under a burst of resumes the handshakes,
// not the API server, set the pace. This keeps one Agent per cluster and user and hands it to
// every request, renewing it periodically so rotated certificate files are picked up. Every
// request goes through that Agent, so it is also where each answer's status code is seen, for
// client-go's rest_client_requests_total.
import * as k8s from '@kubernetes/client-node';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const RENEW_AFTER_MS = 10 * 60_000;

/** One answer from the API server: its HTTP status code, or `<error>` when none came. */
export interface ObservedResponse {
  code: string;
  method: string;
  host: string;
}

export class PooledKubeConfig extends k8s.KubeConfig {
  private readonly pooled = new Map<string, { dispatcher: Dispatcher; created: number }>();
  private observer: ((response: ObservedResponse) => void) | undefined;

  /** Calls `observer` once for every request sent from now on, when its answer starts or fails. */
  observeResponses(observer: (response: ObservedResponse) => void): void {
    this.observer = observer;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const server = this.getCurrentCluster()?.server;
    const key = JSON.stringify([server, this.getCurrentUser()?.name]);
    const now = Date.now();
    const entry = this.pooled.get(key);
    if (entry && now - entry.created < RENEW_AFTER_MS) {
      context.setDispatcher(entry.dispatcher);
      void fresh.close();
      return;
    }
    const dispatcher = this.observing(fresh, server);
    this.pooled.set(key, { dispatcher, created: now });
    context.setDispatcher(dispatcher);
    // Requests still running on the old one finish first; close() waits for them.
    if (entry) void entry.dispatcher.close();
  }

  private observing(dispatcher: Dispatcher, server: string | undefined): Dispatcher {
    let host = '';
    try {
      host = new URL(server ?? '').host;
    } catch {
      // A server that is not a URL is reported without a host.
    }
    const observe = (method: string, code: string) => this.observer?.({ code, method, host });
    return dispatcher.compose((dispatch) => (options, handler) => {
      let seen = false;
      const record = (code: string) => {
        if (seen) return;
        seen = true;
        observe(options.method, code);
      };
      // The handler is wrapped rather than copied: undici calls whichever callbacks it has, old
      // (onHeaders, onError) or new (onResponseStart, onResponseError), and reads its other fields.
      const observed = new Proxy(handler, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          const call = (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args);
          switch (property) {
            case 'onResponseStart':
              return (...args: unknown[]) => (record(String(args[1])), call(...args));
            case 'onHeaders':
              return (...args: unknown[]) => (record(String(args[0])), call(...args));
            case 'onResponseError':
            case 'onError':
              return (...args: unknown[]) => (record('<error>'), call(...args));
            default:
              return value;
          }
        },
      });
      return dispatch(options, observed);
    }) as unknown as Dispatcher;
  }
}

/** KUBECONFIG, or the in-cluster ServiceAccount, as client-node finds them. */
export function loadKubeConfig(): PooledKubeConfig {
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}
