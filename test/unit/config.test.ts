// Start-up settings: defaults, flags over environment, and a refusal that names each bad setting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, namespaceConcurrency } from '../../src/config.js';
import { defaultDomainConfig } from '../../src/domain/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      namespaces: [],
      concurrency: 8,
      maxConcurrencyPerNamespace: 0,
      listen: '127.0.0.1:8080',
      retryMaxAttempts: 3,
      retryInitialDelayMs: 2000,
      retryMaxDelayMs: 30_000,
      retryMultiplier: 2,
      retryJitter: 0.1,
      backend: 'kubernetes',
      leaderElection: true,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2000,
      ttlSecondsAfterFinished: 604_800,
    });
    expect(config.domain).toEqual(defaultDomainConfig);
  });

  it('gives one namespace all workers but one unless told otherwise, and never more than all of them', () => {
    expect(namespaceConcurrency(loadConfig([], {}))).toBe(7);
    expect(namespaceConcurrency(loadConfig(['--concurrency=1'], {}))).toBe(1);
    expect(namespaceConcurrency(loadConfig(['--concurrency=3'], {}))).toBe(2);
    expect(namespaceConcurrency(loadConfig(['--max-concurrency-per-namespace=6'], {}))).toBe(6);
    expect(
      namespaceConcurrency(loadConfig([], { WRO_CONCURRENCY: '2', WRO_MAX_CONCURRENCY_PER_NAMESPACE: '5' })),
    ).toBe(2);
  });

  it('takes cache budgets up to 4 GiB', () => {
    const config = loadConfig(['--max-cached-workflow-bytes=4294967296'], {
      WRO_MAX_CACHED_WORKFLOW_BYTES_PER_NAMESPACE: '1073741824',
    });
    expect(config.maxCachedWorkflowBytes).toBe(4 * 1024 ** 3);
    expect(config.maxCachedWorkflowBytesPerNamespace).toBe(1024 ** 3);
    expect(loadConfig([], {})).toMatchObject({
      maxCachedWorkflowBytes: 64 << 20,
      maxCachedWorkflowBytesPerNamespace: 8 << 20,
    });
  });

  it('reads WRO_* variables and lets flags win over them', () => {
    const config = loadConfig(['--concurrency=4', '--namespaces=team-a, team-b'], {
      WRO_CONCURRENCY: '16',
      WRO_RETRY_MAX_ATTEMPTS: '5',
      WRO_LEADER_ELECTION: 'false',
    });
    expect(config.concurrency).toBe(4);
    expect(config.namespaces).toEqual(['team-a', 'team-b']);
    expect(config.retryMaxAttempts).toBe(5);
    expect(config.leaderElection).toBe(false);
  });

  it.each([
    [['--concurrency=0'], {}, '--concurrency (WRO_CONCURRENCY)'],
    [[], { WRO_NAMESPACES: 'ok,Not_A_Namespace' }, '--namespaces (WRO_NAMESPACES)'],
    [['--backend=argo-server'], {}, '--argo-server-url (WRO_ARGO_SERVER_URL): is required'],
    [
      ['--renew-deadline-ms=20000'],
      {},
      '--renew-deadline-ms (WRO_RENEW_DEADLINE_MS): must be shorter than leaseDurationMs',
    ],
    [['--listen=everywhere'], {}, '--listen (WRO_LISTEN): must be HOST:PORT'],
    [['--leader-election=yes'], {}, '--leader-election (WRO_LEADER_ELECTION)'],
  ])('refuses %j %j naming the setting', (argv, env, fragment) => {
    expect(() => loadConfig(argv, env)).toThrow(ConfigError);
    expect(() => loadConfig(argv, env)).toThrow(fragment);
  });

  it('refuses unknown and malformed flags', () => {
    expect(() => loadConfig(['--no-such-flag=1'], {})).toThrow('unknown argument --no-such-flag=1');
    expect(() => loadConfig(['--concurrency', '4'], {})).toThrow('flags take the form --name=value');
  });

  it('merges a domain config file over the defaults and refuses an invalid one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wro-config-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ waitTimeoutSeconds: 60 }));
      expect(loadConfig([`--domain-config-file=${good}`], {}).domain.waitTimeoutSeconds).toBe(60);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ waitTimeoutSeconds: 'soon' }));
      expect(() => loadConfig([`--domain-config-file=${bad}`], {})).toThrow(
        /domain-config-file .*waitTimeoutSeconds/s,
      );
      expect(() => loadConfig([`--domain-config-file=${join(dir, 'missing.json')}`], {})).toThrow(
        ConfigError,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
