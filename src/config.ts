// Operator settings from command-line flags (--kebab-case=value) and environment variables
// (WRO_UPPER_SNAKE), flags winning. Everything is validated up front: a bad value stops start-up
// with a message that names the setting, instead of surfacing later inside a reconcile.
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { domainConfigSchema, defaultDomainConfig, type DomainConfig } from './domain/config.js';

const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false']).transform((value) => value === 'true');

const settingsSchema = z
  .object({
    namespaces: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((namespace) => namespace.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().max(63).regex(dns1123, 'must be a DNS-1123 label'))),
    concurrency: int(1, 256).default(8),
    // Workers one namespace may hold at once; 0: all but one (at least one), so another namespace
    // always finds a worker while one tenant's turns are slow.
    maxConcurrencyPerNamespace: int(0, 256).default(0),
    logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    listen: z
      .string()
      .regex(/^[0-9a-fA-F.:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be HOST:PORT')
      .default('127.0.0.1:8080'),
    // Each retry records its delay in status.retryDelays, a list of at most 50.
    retryMaxAttempts: int(1, 50).default(3),
    retryInitialDelayMs: int(1, 3_600_000).default(2000),
    retryMaxDelayMs: int(1, 3_600_000).default(30_000),
    retryMultiplier: z.coerce.number().min(1).max(10).default(2),
    retryJitter: z.coerce.number().min(0).max(1).default(0.1),
    breakerConsecutiveFailures: int(1, 1000).default(5),
    breakerHalfOpenAfterMs: int(100, 3_600_000).default(10_000),
    breakerWorkflowCapacity: int(1, 1_000_000).default(1000),
    attemptTimeoutMs: int(100, 600_000).default(30_000),
    backend: z.enum(['kubernetes', 'argo-server']).default('kubernetes'),
    argoServerUrl: z.url({ protocol: /^https?$/ }).optional(),
    argoServerTokenFile: z.string().optional(),
    argoServerInsecureSkipVerify: bool.default(false),
    leaderElection: bool.default(true),
    leaseNamespace: z.string().regex(dns1123, 'must be a DNS-1123 label').default('workflow-resume-system'),
    leaseName: z.string().regex(dns1123, 'must be a DNS-1123 label').default('workflow-resume-operator'),
    leaseDurationMs: int(1000, 600_000).default(15_000),
    renewDeadlineMs: int(500, 600_000).default(10_000),
    retryPeriodMs: int(100, 600_000).default(2000),
    identity: z.string().min(1).max(128).default(`${hostname()}-${process.pid}`),
    ttlSecondsAfterFinished: int(0, 10 * 365 * 86400).default(7 * 86400),
    resyncIntervalMs: int(1000, 86_400_000).default(300_000),
    // Below client-node's 30 s inactivity limit, so quiet watches end cleanly and are renewed.
    watchTimeoutSeconds: int(5, 3600).default(25),
    drainTimeoutMs: int(0, 600_000).default(20_000),
    errorBackoffBaseMs: int(1, 3_600_000).default(500),
    errorBackoffMaxMs: int(1, 3_600_000).default(60_000),
    // Objects per page when a cache lists: a page is held whole in memory while it is read, and
    // one workflow may be megabytes, so small pages keep the start-up peak (and the heap it
    // leaves behind) low; 10,000 workflows are still 200 calls.
    listPageSize: int(10, 5000).default(50),
    // Bounds on one workflow's node status, which anyone who can write the Workflow controls.
    maxWorkflowNodes: int(1, 1_000_000).default(10_000),
    maxNodeStatusBytes: int(1024, 256 << 20).default(16 << 20),
    // What the workflow cache may hold (characters of its copies as JSON), per namespace and in
    // all: a workflow that does not fit is skipped and reported, so one tenant cannot take the
    // memory the others need. The defaults hold tens of thousands of play workflows.
    maxCachedWorkflowBytes: int(1 << 20, 4 * 1024 ** 3).default(64 << 20),
    maxCachedWorkflowBytesPerNamespace: int(64 << 10, 4 * 1024 ** 3).default(8 << 20),
    // Bytes of compressed node status one namespace's workflows may inflate per minute (each
    // inflation is parsed as JSON, the costliest thing the watch does): past it, a workflow is
    // skipped and read again later, so one tenant cannot keep the operator busy inflating.
    maxInflatedBytesPerNamespace: int(1 << 20, 16 * 1024 ** 3).default(128 << 20),
    // A resume is two writes: the workflow and the request's status, which says what happened.
    // An Event for each request that succeeded, and one on the workflow for each resume, are a
    // write more each, for those who read `kubectl describe`. Requests that wait, are retried,
    // are ignored or fail always get their Event.
    succeededEvents: bool.default(false),
    workflowEvents: bool.default(false),
    domainConfigFile: z.string().optional(),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.backend === 'argo-server' && !settings.argoServerUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['argoServerUrl'],
        message: 'is required when backend is argo-server',
      });
    }
    if (settings.renewDeadlineMs >= settings.leaseDurationMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['renewDeadlineMs'],
        message: 'must be shorter than leaseDurationMs',
      });
    }
    if (settings.retryPeriodMs >= settings.renewDeadlineMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['retryPeriodMs'],
        message: 'must be shorter than renewDeadlineMs',
      });
    }
    if (settings.retryInitialDelayMs > settings.retryMaxDelayMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['retryInitialDelayMs'],
        message: 'must not exceed retryMaxDelayMs',
      });
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

/** The workers one namespace may hold at once, with 0 read as all but one (at least one). */
export function namespaceConcurrency(
  settings: Pick<Settings, 'concurrency' | 'maxConcurrencyPerNamespace'>,
): number {
  const { concurrency, maxConcurrencyPerNamespace } = settings;
  if (maxConcurrencyPerNamespace === 0) return Math.max(1, concurrency - 1);
  return Math.min(maxConcurrencyPerNamespace, concurrency);
}

/** Every setting's name, as in flags (kebab-cased) and WRO_* variables (upper snake-cased). */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as Array<keyof Settings>;
export type Config = Settings & { domain: DomainConfig };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A setting's flag name without the dashes: retryMaxAttempts → retry-max-attempts. */
export const camelToKebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** A setting's variable: retryMaxAttempts → WRO_RETRY_MAX_ATTEMPTS. */
export const camelToEnv = (key: string) => `WRO_${camelToKebab(key).replace(/-/g, '_').toUpperCase()}`;

/** Reads settings from flags and environment; throws ConfigError naming every bad setting. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const keys = Object.keys(settingsSchema.shape) as Array<keyof Settings>;
  const raw: Record<string, string> = {};
  for (const key of keys) {
    const value = env[camelToEnv(key)];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const arg of argv) {
    const match = /^--([a-z][a-z-]*)=(.*)$/s.exec(arg);
    const key = match && keys.find((candidate) => camelToKebab(candidate) === match[1]);
    if (!match || !key) throw new ConfigError(`unknown argument ${arg}; flags take the form --name=value`);
    raw[key] = match[2]!;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `--${camelToKebab(key)} (${camelToEnv(key)}): ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return { ...parsed.data, domain: loadDomainConfig(parsed.data.domainConfigFile) };
}

function loadDomainConfig(file: string | undefined): DomainConfig {
  if (!file) return defaultDomainConfig;
  let overrides: unknown;
  try {
    overrides = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`--domain-config-file ${file}: ${(error as Error).message}`);
  }
  const parsed = domainConfigSchema.safeParse({ ...defaultDomainConfig, ...(overrides as object) });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`--domain-config-file ${file}:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
