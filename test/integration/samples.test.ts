// config/samples: the GitOps manual resumes. Each must be accepted by the ResumeRequest CRD
// without losing a field (the API server prunes what its schema does not know) and by the
// operator's own schema, and must say what to resume: a task and an event type, or a workflow.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describeIssues, resumeRequestSpecSchema } from '../../src/api/resume-request.js';
import { createNamespace, kubectlOk, projectRoot } from '../support/plane.js';

interface Sample {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

const samplesDir = join(projectRoot, 'config/samples');
const samples = readdirSync(samplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(samplesDir, file), 'utf8')).map(
      (doc) => [file, doc.toJS() as Sample] as const,
    ),
  );

let namespace: string;
beforeAll(async () => {
  namespace = await createNamespace('samples');
});

test('there is a sample for each kind of manual resume', () => {
  const specs = samples.map(([, s]) => s.spec);
  expect(
    specs.some((s) => s.taskId !== undefined && s.eventType !== undefined && s.workflowName === undefined),
  ).toBe(true);
  expect(specs.some((s) => s.workflowName !== undefined)).toBe(true);
  expect(specs.some((s) => Object.keys((s.resumeParameters as object | undefined) ?? {}).length > 0)).toBe(
    true,
  );
});

test.each(samples)('%s is a ResumeRequest the operator can parse', (_file, sample) => {
  expect(sample.apiVersion).toBe('resume.workflows.dev/v1alpha1');
  expect(sample.kind).toBe('ResumeRequest');
  const parsed = resumeRequestSpecSchema.safeParse(sample.spec);
  expect(parsed.success ? 'valid' : describeIssues(parsed.error)).toBe('valid');
});

test.each(samples)('%s applies to the plane with every field kept', async (_file, sample) => {
  const created = JSON.parse(
    await kubectlOk(
      ['apply', '--server-side', '-n', namespace, '-o', 'json', '-f', '-'],
      JSON.stringify(sample),
    ),
  ) as Sample;
  expect(created.metadata.name).toBe(sample.metadata.name);
  expect(created.spec).toEqual(sample.spec);
});
