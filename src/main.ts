// The operator's process: configuration, kubeconfig, signals and exit codes.
// Exit codes: 0 after a graceful stop, 1 on a fatal runtime error, 2 on bad configuration, 3 when
// the cluster cannot run the operator (start-up checks: API server, RBAC, CRDs, lease namespace).
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { startOperator } from './operator.js';
import { loadKubeConfig } from './runtime/pooled-kube-config.js';
import { checkCluster, StartupCheckError } from './startup-checks.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const kubeConfig = loadKubeConfig();
  if (!kubeConfig.getCurrentCluster()) {
    console.error('no Kubernetes cluster configured: set KUBECONFIG or run in a cluster');
    process.exit(2);
  }
  try {
    await checkCluster(kubeConfig, config);
  } catch (error) {
    if (error instanceof StartupCheckError) {
      logger.error(`cannot start: ${error.message}`);
      process.exit(3);
    }
    throw error;
  }
  const operator = await startOperator(config, kubeConfig, logger, (reason) => {
    logger.error('fatal', { reason });
    process.exit(1);
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    operator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
