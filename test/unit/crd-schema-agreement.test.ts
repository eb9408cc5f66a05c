// The CRD's OpenAPI schema and the zod schemas describe the same resource: same fields, types,
// enums, patterns and limits. A field added to one and not the other fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  describeIssues,
  GROUP,
  KIND,
  PLURAL,
  resumeRequestSpecSchema,
  resumeRequestStatusSchema,
  VERSION,
} from '../../src/api/resume-request.js';
import { acceptedSpecs, largestSpec, rejectedSpecs } from '../fixtures/resume-request-cases.js';

type Schema = {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  anyOf?: Schema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
};

const crd = parse(
  readFileSync(join(import.meta.dirname, '../../crds/resume.workflows.dev_resumerequests.yaml'), 'utf8'),
) as {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames: string[] };
    versions: {
      name: string;
      subresources: { status: object };
      additionalPrinterColumns: { name: string; jsonPath: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
};
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input' }) as Schema;

const COMPARED = [
  'type',
  'pattern',
  'format',
  'maxLength',
  'minLength',
  'maxItems',
  'maxProperties',
  'minimum',
] as const;

/** zod writes a nullable field as `anyOf: [schema, {type: null}]`; the CRD as `nullable: true`. */
function withoutNull(zodSchema: Schema): { schema: Schema; nullable: boolean } {
  const branches = zodSchema.anyOf ?? [];
  const others = branches.filter((branch) => branch.type !== 'null');
  if (branches.length === 2 && others.length === 1) return { schema: others[0]!, nullable: true };
  return { schema: zodSchema, nullable: false };
}

/** Every disagreement between the two schemas, as `path: what`. */
function differences(crdSchema: Schema, zodInput: Schema, path: string): string[] {
  const found: string[] = [];
  const { schema: zodSchema, nullable } = withoutNull(zodInput);
  if ((crdSchema.nullable ?? false) !== nullable) {
    found.push(`${path}: nullable ${crdSchema.nullable ?? false} ≠ ${nullable}`);
  }
  for (const key of COMPARED) {
    // zod adds its own pattern to date-times; the API server checks the format instead.
    if (key === 'pattern' && zodSchema.format === 'date-time') continue;
    // RegExp.source writes `/` as `\/`; RE2 and JavaScript read both the same.
    const zodValue = key === 'pattern' ? zodSchema.pattern?.replaceAll('\\/', '/') : zodSchema[key];
    if (crdSchema[key] !== zodValue) found.push(`${path}: ${key} ${crdSchema[key]} ≠ ${zodValue}`);
  }
  const zodMaximum = zodSchema.maximum === Number.MAX_SAFE_INTEGER ? undefined : zodSchema.maximum;
  if (crdSchema.maximum !== zodMaximum) found.push(`${path}: maximum ${crdSchema.maximum} ≠ ${zodMaximum}`);
  if (JSON.stringify(crdSchema.enum) !== JSON.stringify(zodSchema.enum)) found.push(`${path}: enum differs`);
  const required = (s: Schema) => JSON.stringify([...(s.required ?? [])].sort());
  if (required(crdSchema) !== required(zodSchema)) found.push(`${path}: required differs`);

  const crdKeys = Object.keys(crdSchema.properties ?? {}).sort();
  const zodKeys = Object.keys(zodSchema.properties ?? {}).sort();
  if (JSON.stringify(crdKeys) !== JSON.stringify(zodKeys)) {
    found.push(`${path}: properties [${crdKeys}] ≠ [${zodKeys}]`);
  }
  for (const key of crdKeys.filter((k) => zodKeys.includes(k))) {
    found.push(...differences(crdSchema.properties![key]!, zodSchema.properties![key]!, `${path}.${key}`));
  }
  if (crdSchema.items || zodSchema.items) {
    found.push(...differences(crdSchema.items ?? {}, zodSchema.items ?? {}, `${path}[]`));
  }
  const values = zodSchema.additionalProperties;
  if (typeof values === 'object' && Object.keys(values).length > 0) {
    found.push(...differences(crdSchema.additionalProperties as Schema, values, `${path}{}`));
  } else if (typeof values === 'object' && crdSchema['x-kubernetes-preserve-unknown-fields'] !== true) {
    found.push(`${path}: free-form in zod but not x-kubernetes-preserve-unknown-fields in the CRD`);
  }
  // Record keys: the CRD checks them with CEL, which must use zod's pattern and length.
  const keys = zodSchema.propertyNames;
  if (keys?.pattern) {
    const rules = (crdSchema['x-kubernetes-validations'] ?? []).map((v) => v.rule).join(' ');
    if (!rules.includes(`k.matches('${keys.pattern}')`))
      found.push(`${path}: key pattern ${keys.pattern} not in CEL`);
    if (!rules.includes(`size(k) <= ${keys.maxLength}`))
      found.push(`${path}: key length ${keys.maxLength} not in CEL`);
  }
  return found;
}

/** Paths of CRD fields without a description. */
function undescribed(schema: Schema, path: string): string[] {
  const missing = schema.description?.trim() ? [] : [path];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (key !== 'metadata') missing.push(...undescribed(child, `${path}.${key}`));
  }
  if (schema.items?.type === 'object') missing.push(...undescribed(schema.items, `${path}[]`));
  return missing;
}

/** `spec.validationRules[0].field` and zod's `spec.validationRules.0.field` name the same field. */
const dotted = (path: string) => path.replace(/\[(\d+)\]/g, '.$1');

describe('the ResumeRequest CRD', () => {
  it('is the group, kind and version the code uses, namespaced with a status subresource', () => {
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.names.kind).toBe(KIND);
    expect(crd.spec.names.plural).toBe(PLURAL);
    expect(crd.spec.names.shortNames).toEqual(['rr']);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(version.name).toBe(VERSION);
    expect(version.subresources.status).toEqual({});
  });

  it('prints Task, Event, Phase, Workflow, Attempts and Age from the status', () => {
    const columns = Object.fromEntries(version.additionalPrinterColumns.map((c) => [c.name, c.jsonPath]));
    expect(columns).toMatchObject({
      Task: '.status.taskId',
      Event: '.status.eventType',
      Phase: '.status.phase',
      Workflow: '.status.workflowName',
      Attempts: '.status.attempts',
      Age: '.metadata.creationTimestamp',
    });
  });

  it('answers an auditor in one wide line: reason, repository, pull request and who acted', () => {
    const wide = version.additionalPrinterColumns.filter((c) => (c as { priority?: number }).priority === 1);
    expect(Object.fromEntries(wide.map((c) => [c.name, c.jsonPath]))).toEqual({
      Reason: '.status.reason',
      Repository: '.spec.repository',
      PR: '.spec.prNumber',
      Actor: '.spec.github.sender',
    });
  });

  it('describes every field', () => {
    expect(undescribed(root, '')).toEqual([]);
  });

  it('requires spec and makes it immutable, and needs a target', () => {
    expect(root.required).toEqual(['spec']);
    const rules = root.properties!.spec!['x-kubernetes-validations']!;
    expect(rules).toContainEqual(expect.objectContaining({ rule: 'self == oldSelf' }));
    expect(rules).toContainEqual(
      expect.objectContaining({ message: 'one of taskId, github, workflowName is required' }),
    );
  });

  it('has the same spec schema as zod', () => {
    expect(differences(root.properties!.spec!, toJson(resumeRequestSpecSchema), 'spec')).toEqual([]);
  });

  it('has the same status schema as zod', () => {
    expect(differences(root.properties!.status!, toJson(resumeRequestStatusSchema), 'status')).toEqual([]);
  });

  it('finds a difference when there is one', () => {
    const changed = structuredClone(root.properties!.spec!);
    changed.properties!.taskId!.maxLength = 64;
    delete changed.properties!.prNumber;
    changed.properties!.github!.properties!.event!.enum = ['pull_request'];
    delete changed.properties!.github!.properties!.headRepository!.nullable;
    expect(differences(changed, toJson(resumeRequestSpecSchema), 'spec')).toEqual([
      'spec: properties [eventPayload,eventType,github,labelSelector,nodeFieldSelector,repository,resumeParameters,taskId,ttlSecondsAfterFinished,validationRules,workflowName] ≠ [eventPayload,eventType,github,labelSelector,nodeFieldSelector,prNumber,repository,resumeParameters,taskId,ttlSecondsAfterFinished,validationRules,workflowName]',
      'spec.github.event: enum differs',
      'spec.github.headRepository: nullable false ≠ true',
      'spec.taskId: maxLength 64 ≠ 63',
    ]);
  });
});

describe('the zod spec schema on the shared fixtures', () => {
  it.each(acceptedSpecs.map((c) => [c.name, c] as const))('accepts %s', (_name, { spec }) => {
    const parsed = resumeRequestSpecSchema.safeParse(spec);
    expect(parsed.success ? 'accepted' : describeIssues(parsed.error)).toBe('accepted');
  });

  it('accepts a spec at every limit at once', () => {
    const parsed = resumeRequestSpecSchema.safeParse(largestSpec);
    expect(parsed.success ? 'accepted' : describeIssues(parsed.error)).toBe('accepted');
  });

  it.each(rejectedSpecs.map((c) => [c.name, c] as const))(
    'refuses %s, naming the field',
    (_name, { spec, field }) => {
      const parsed = resumeRequestSpecSchema.safeParse(spec);
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues.length).toBeGreaterThan(0);
      const paths = parsed.error!.issues.map((issue) =>
        dotted(['spec', ...issue.path.map(String)].join('.')),
      );
      // Each fixture has one fault, so every issue must be about its field.
      expect(paths.filter((path) => path !== dotted(field) && !path.startsWith(`${dotted(field)}.`))).toEqual(
        [],
      );
    },
  );
});
