// Builds the operator from its configuration: clients, backend, breakers, controller, leader
// election and HTTP endpoints. main.ts owns the process (signals, exit codes); this file owns
// the composition, so the parts meet in one place.
import type { Server } from 'node:http';
import * as k8s from '@kubernetes/client-node';
import { namespaceConcurrency, type Config } from './config.js';
import { KubernetesBackend } from './backends/kubernetes-backend.js';
import { ArgoServerBackend } from './backends/argo-server-backend.js';
import type { ResumeBackend } from './backends/backend.js';
import { BreakerRegistry } from './resilience/breakers.js';
import { EventRecorder } from './runtime/event-recorder.js';
import { KubeTransport } from './runtime/kube-transport.js';
import { LeaderElector, kubernetesLeaseStore } from './runtime/leader-election.js';
import type { PooledKubeConfig } from './runtime/pooled-kube-config.js';
import { initialiseAlertSeries } from './controller/controller-metrics.js';
import { Manager } from './controller/manager.js';
import { StatusWriter } from './controller/status-writer.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { startServer } from './server.js';

export interface Operator {
  /** Stops intake, drains in-flight reconciles, releases the lease and closes the server. */
  stop(): Promise<void>;
  readonly server: Server;
}

function createBackend(config: Config, kubeConfig: k8s.KubeConfig, transport: KubeTransport): ResumeBackend {
  if (config.backend === 'argo-server') {
    return new ArgoServerBackend({
      url: config.argoServerUrl!,
      tokenFile: config.argoServerTokenFile,
      insecureSkipVerify: config.argoServerInsecureSkipVerify,
      kubernetes: kubeConfig.makeApiClient(k8s.CustomObjectsApi),
      // The whole workflow around its inflated node map.
      maxResponseBytes: config.maxNodeStatusBytes + (2 << 20),
    });
  }
  return new KubernetesBackend(
    kubeConfig.makeApiClient(k8s.CustomObjectsApi),
    transport,
    config.maxNodeStatusBytes,
  );
}

export async function startOperator(
  config: Config,
  kubeConfig: PooledKubeConfig,
  logger: Logger,
  onFatal: (reason: string) => void,
): Promise<Operator> {
  const metrics = createMetrics({ defaultMetrics: true });
  kubeConfig.observeResponses((response) => metrics.restClientRequestsTotal.inc(response));
  const breakers = new BreakerRegistry(
    {
      consecutiveFailures: config.breakerConsecutiveFailures,
      halfOpenAfterMs: config.breakerHalfOpenAfterMs,
      workflowCapacity: config.breakerWorkflowCapacity,
      attemptTimeoutMs: config.attemptTimeoutMs,
    },
    (breaker, value) => metrics.circuitBreakerState.set({ breaker }, value),
  );
  const transport = new KubeTransport(kubeConfig);
  const manager = new Manager(
    { api: kubeConfig.makeApiClient(k8s.CustomObjectsApi), transport },
    { ...config, namespaceConcurrency: namespaceConcurrency(config) },
    {
      domain: config.domain,
      retry: {
        maxAttempts: config.retryMaxAttempts,
        initialDelayMs: config.retryInitialDelayMs,
        maxDelayMs: config.retryMaxDelayMs,
        multiplier: config.retryMultiplier,
        jitter: config.retryJitter,
      },
      halfOpenAfterMs: config.breakerHalfOpenAfterMs,
      workflowEvents: config.workflowEvents,
      succeededEvents: config.succeededEvents,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      maxWaitRecheckMs: config.resyncIntervalMs,
      statusWriter: new StatusWriter(transport),
      events: new EventRecorder(
        kubeConfig.makeApiClient(k8s.CoreV1Api),
        'workflow-resume-operator',
        config.identity,
        logger,
      ),
      backend: createBackend(config, kubeConfig, transport),
      breakers,
      metrics,
      logger,
      now: () => new Date(),
    },
  );

  const elector = config.leaderElection
    ? new LeaderElector(
        kubernetesLeaseStore(
          kubeConfig.makeApiClient(k8s.CustomObjectsApi),
          config.leaseNamespace,
          config.leaseName,
        ),
        {
          identity: config.identity,
          leaseDurationMs: config.leaseDurationMs,
          renewDeadlineMs: config.renewDeadlineMs,
          retryPeriodMs: config.retryPeriodMs,
        },
        {
          onStartedLeading: () => {
            initialiseAlertSeries(metrics);
            metrics.isLeader.set(1);
            manager.start();
          },
          // Another replica may already be reconciling: stop at once and let the process restart.
          onStoppedLeading: () => {
            metrics.isLeader.set(0);
            void manager.stop(0).then(() => onFatal('lost the leader lease'));
          },
        },
        logger,
      )
    : undefined;

  const server = await startServer(config.listen, metrics.registry, {
    healthy: () => true,
    // A standby is ready: it serves nothing until it leads. Without election this replica leads.
    ready: () => !(elector?.isLeader ?? true) || manager.ready,
    beforeScrape: () => manager.sampleMetrics(),
  });
  if (elector) elector.start();
  else {
    initialiseAlertSeries(metrics);
    metrics.isLeader.set(1);
    manager.start();
  }
  logger.info('operator started', {
    listen: config.listen,
    backend: config.backend,
    identity: config.identity,
  });

  return {
    server,
    async stop() {
      await manager.stop(config.drainTimeoutMs);
      await elector?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
