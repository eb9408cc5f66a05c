// The chart's files that repeat something kept elsewhere stay equal to it: the CRD (the chart
// cannot reach the repository's crds/, and Flux drops symlinks), the README generated from
// values.yaml, and the values schema, which knows every value values.yaml sets.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const chart = join(root, 'charts/workflow-resume-operator');

test('the chart carries the repository’s CRDs unchanged', () => {
  const crds = readdirSync(join(root, 'crds')).filter((file) => file !== 'kustomization.yaml');
  expect(readdirSync(join(chart, 'files/crds')).sort()).toEqual(crds.sort());
  for (const file of crds) {
    expect(readFileSync(join(chart, 'files/crds', file), 'utf8')).toBe(
      readFileSync(join(root, 'crds', file), 'utf8'),
    );
  }
});

test('the chart README is the one generated from values.yaml', () => {
  expect(() =>
    execFileSync(process.execPath, [join(root, 'hack/chart-readme.mjs'), '--check'], { stdio: 'pipe' }),
  ).not.toThrow();
});

test('the values schema describes every value values.yaml sets, and every setting', () => {
  type Schema = { properties?: Record<string, Schema>; additionalProperties?: boolean };
  const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as Schema;
  const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const missing: string[] = [];
  const walk = (value: unknown, node: Schema | undefined, path: string) => {
    if (!node) return void missing.push(path);
    if (node.additionalProperties !== false || !node.properties) return;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const keys = Object.keys(value);
    // Optional values (an alert's `for`) may be left out of values.yaml; the top level and the
    // settings are complete.
    if (path === '' || path === '.settings')
      expect({ path, keys: keys.sort() }).toEqual({ path, keys: Object.keys(node.properties).sort() });
    for (const key of keys)
      walk((value as Record<string, unknown>)[key], node.properties[key], `${path}.${key}`);
  };
  walk(values, schema, '');
  expect(missing).toEqual([]);
});
