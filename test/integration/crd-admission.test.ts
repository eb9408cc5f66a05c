// The ResumeRequest CRD on a real kube-apiserver: the shared fixtures that zod accepts are
// stored, and every hostile or malformed one is refused at admission with a message that names
// the offending field.
import { ApiException } from '@kubernetes/client-node';
import { mergePatch } from '../../src/runtime/api-call.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../src/api/resume-request.js';
import { createNamespace, kubectl, kubectlOk } from '../support/plane.js';
import { customObjects } from '../support/workflows.js';
import {
  acceptedSpecs,
  largestSpec,
  largestStatus,
  rejectedSpecs,
  storedBytes,
} from '../fixtures/resume-request-cases.js';

const api = { group: GROUP, version: VERSION, plural: PLURAL } as const;
let namespace: string;
let created = 0;

beforeAll(async () => {
  namespace = await createNamespace('crd');
});

function create(spec: Record<string, unknown>, name = `rr-${created++}`) {
  return customObjects().createNamespacedCustomObject({
    ...api,
    namespace,
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec },
  }) as Promise<{ metadata: { name: string; resourceVersion: string }; spec: Record<string, unknown> }>;
}

/** The API server's message for a refused create. */
async function refusal(spec: Record<string, unknown>): Promise<string> {
  try {
    await create(spec);
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    expect(error.code).toBe(422);
    const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
      message: string;
    };
    return body.message;
  }
  throw new Error(`the API server stored ${JSON.stringify(spec)}`);
}

describe('admission of ResumeRequests', () => {
  it.each(acceptedSpecs.map((c) => [c.name, c] as const))('stores %s unchanged', async (_name, { spec }) => {
    const stored = await create(spec);
    expect(stored.spec).toEqual(spec);
  });

  it.each(rejectedSpecs.map((c) => [c.name, c.field, c] as const))(
    'refuses %s, naming %s',
    async (_name, field, { spec }) => {
      expect(await refusal(spec)).toContain(`${field}:`);
    },
  );

  it('stores the largest request with the largest status the operator writes', async () => {
    const stored = await create(largestSpec, 'largest');
    expect(stored.spec).toEqual(largestSpec);
    const status = largestStatus();
    const written = (await customObjects().patchNamespacedCustomObjectStatus(
      { ...api, namespace, name: 'largest', body: { status } },
      mergePatch,
    )) as { status: unknown };
    expect(written.status).toEqual(status);
    const read = await customObjects().getNamespacedCustomObject({ ...api, namespace, name: 'largest' });
    // etcd's default limit is 1.5 MiB per object: most of a megabyte is left for metadata.
    expect(storedBytes(read)).toBeLessThan(800 * 1024);
  });

  it('refuses a request without spec', async () => {
    const result = await kubectl(
      ['-n', namespace, 'create', '-f', '-'],
      JSON.stringify({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'no-spec' } }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('spec: Required value');
  });

  it('refuses any change to the spec after creation', async () => {
    const stored = await create({ taskId: '42', eventType: 'pr-created' }, 'immutable');
    const update = customObjects().replaceNamespacedCustomObject({
      ...api,
      namespace,
      name: 'immutable',
      body: {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: stored.metadata,
        spec: { taskId: '43', eventType: 'pr-created' },
      },
    });
    await expect(update).rejects.toMatchObject({
      code: 422,
      body: expect.stringContaining('spec is immutable'),
    });
  });

  it('keeps status out of the main resource: only the status subresource writes it', async () => {
    const stored = await create({ taskId: '42', eventType: 'pr-created' }, 'status-owner');
    await customObjects().replaceNamespacedCustomObject({
      ...api,
      namespace,
      name: 'status-owner',
      body: { ...stored, status: { phase: 'Succeeded' } },
    });
    const read = (await customObjects().getNamespacedCustomObject({
      ...api,
      namespace,
      name: 'status-owner',
    })) as {
      status?: unknown;
    };
    expect(read.status).toBeUndefined();
  });

  it('refuses a status the operator could not have meant', async () => {
    await create({ taskId: '42', eventType: 'pr-created' }, 'bad-status');
    const patched = await kubectl([
      '-n',
      namespace,
      'patch',
      'rr',
      'bad-status',
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ status: { phase: 'Done', reason: 'not camel', retryDelays: ['soon'] } }),
    ]);
    expect(patched.code).not.toBe(0);
    expect(patched.stderr).toContain('status.phase: Unsupported value: "Done"');
    expect(patched.stderr).toContain('status.reason: Invalid value');
    expect(patched.stderr).toContain('status.retryDelays[0]: Invalid value');
  });

  it('prints the columns and short name, and explains its fields', async () => {
    await create({ taskId: '42', eventType: 'pr-created' }, 'columns');
    const header = (await kubectlOk(['-n', namespace, 'get', 'rr', 'columns'])).split('\n')[0]!;
    expect(header.split(/\s+/)).toEqual(['NAME', 'TASK', 'EVENT', 'PHASE', 'WORKFLOW', 'ATTEMPTS', 'AGE']);
    const explained = await kubectlOk(['explain', 'resumerequest.spec.github']);
    expect(explained).toContain('The X-GitHub-Delivery GUID');
    expect(explained).toContain('enum: pull_request, pull_request_review');
  });
});
