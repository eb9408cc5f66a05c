// One version names a release everywhere it is written (docs/releases.md), and the release record
// the upgrade test builds from agrees with the changelog.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;

test('the version is SemVer', () => {
  expect(version).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/);
});

test('package.json, its lockfile, the chart, the image tags and the Dockerfile carry one version', () => {
  const lock = JSON.parse(read('package-lock.json')) as {
    version: string;
    packages: Record<string, { version: string }>;
  };
  const chart = parse(read('charts/workflow-resume-operator/Chart.yaml')) as {
    version: string;
    appVersion: string;
  };
  const deployment = parse(read('config/manager/deployment.yaml')) as {
    spec: { template: { spec: { containers: Array<{ image: string }> } } };
  };
  expect({
    lock: lock.version,
    lockRoot: lock.packages['']!.version,
    chart: chart.version,
    appVersion: chart.appVersion,
    kustomizeImage: deployment.spec.template.spec.containers[0]!.image.split(':').pop(),
    dockerfile: /^ARG VERSION=(.*)$/m.exec(read('Dockerfile'))?.[1],
  }).toEqual({
    lock: version,
    lockRoot: version,
    chart: version,
    appVersion: version,
    kustomizeImage: version,
    dockerfile: version,
  });
});

test('the changelog opens with this version, and names each recorded release by its commit', () => {
  const changelog = read('CHANGELOG.md');
  const sections = [...changelog.matchAll(/^## \[([^\]]+)\] - (unreleased|\d{4}-\d{2}-\d{2})$/gm)].map(
    (m) => m[1],
  );
  expect(sections[0]).toBe(version);
  const releases = read('hack/release/releases')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(' ') as [string, string]);
  expect(releases.length).toBeGreaterThan(0);
  for (const [released, commit] of releases) {
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(sections).toContain(released);
    const section = changelog.split('\n## ').find((text) => text.startsWith(`[${released}]`));
    expect(section).toContain(commit);
  }
  // The newest release is older than the version being built.
  const newest = releases.at(-1)![0].split('.').map(Number);
  const current = version.split(/[.-]/).slice(0, 3).map(Number);
  expect(newest[0]! * 1e6 + newest[1]! * 1e3 + newest[2]!).toBeLessThan(
    current[0]! * 1e6 + current[1]! * 1e3 + current[2]!,
  );
});
