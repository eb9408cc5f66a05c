// The project's Sensor (config/argo-events/sensor.yaml), run by Argo Events' own filter and
// trigger code on real GitHub payloads: which deliveries become which ResumeRequest, which are
// filtered out and by what, and whether the API server and the operator accept the result.
import { readFileSync } from 'node:fs';
import { resumeRequestSpecSchema, describeIssues } from '../../src/api/resume-request.js';
import { OBJECT_NAME_MAX, OBJECT_NAME_PATTERN } from '../../src/api/syntax.js';
import * as github from '../fixtures/github/payloads.js';
import { withHeadRef } from '../fixtures/github-requests.js';
import {
  buildSensorRender,
  projectSensor,
  render,
  renderObject,
  scratchFile,
  sensorWithoutTrustFilters,
  type RenderedObject,
} from '../fixtures/github/sensor-render.js';
import { createNamespace, kubectlOk } from '../support/plane.js';

const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const TRIGGER_LABELS = [
  'events.argoproj.io/sensor',
  'events.argoproj.io/trigger',
  'events.argoproj.io/action-timestamp',
];

beforeAll(buildSensorRender, 30 * 60_000);

/** Every object a test rendered, to be created on the plane at the end. */
const produced: RenderedObject[] = [];
async function produce(eventName: string, payload: unknown, deliveryId = DELIVERY): Promise<RenderedObject> {
  const object = await renderObject(eventName, payload, { deliveryId });
  produced.push(object);
  return object;
}

describe('deliveries that advance a play workflow become ResumeRequests', () => {
  test('pull_request opened → pr-created, with the pull request facts', async () => {
    const payload = github.opened();
    const object = await produce('pull_request', payload);
    expect(object.apiVersion).toBe('resume.workflows.dev/v1alpha1');
    expect(object.kind).toBe('ResumeRequest');
    expect(object.metadata.generateName).toBe(`gh-${DELIVERY}-`);
    expect(object.metadata.labels?.['events.argoproj.io/sensor']).toBe('github-resume-requests');
    expect(object.metadata.labels?.['events.argoproj.io/trigger']).toBe('pr-created');
    expect(object.spec).toEqual({
      github: {
        deliveryId: DELIVERY,
        event: 'pull_request',
        action: 'opened',
        labels: payload.pull_request.labels.map((l) => l.name),
        headRef: payload.pull_request.head.ref,
        baseRef: 'master',
        title: payload.pull_request.title,
        state: 'open',
        occurredAt: payload.pull_request.created_at,
        sender: payload.sender.login,
        authorAssociation: 'OWNER',
        headRepository: payload.pull_request.head.repo!.full_name,
        headRepositoryFork: false,
      },
      prNumber: payload.pull_request.number,
      repository: payload.repository.full_name,
    });
    // A JSON number, not "2": prNumber is an integer in the CRD.
    expect(typeof object.spec.prNumber).toBe('number');
  });

  test('pull_request labeled ready-for-qa → pr-labeled-ready, with the label and all label names', async () => {
    const payload = github.labeledWith('ready-for-qa');
    const object = await produce('pull_request', payload, 'a1c4e9d0-3b7f-11ee-8c2a-0242ac120002');
    expect(object.metadata.labels?.['events.argoproj.io/trigger']).toBe('pr-labeled-ready');
    expect(object.spec.github).toEqual(
      expect.objectContaining({
        event: 'pull_request',
        action: 'labeled',
        label: 'ready-for-qa',
        labels: ['bug', 'ready-for-qa'],
        occurredAt: payload.pull_request.updated_at,
      }),
    );
    expect(object.spec.github).not.toHaveProperty('reviewState');
  });

  test('pull_request_review submitted approved → pr-approved, with the review state, time, reviewer and ids', async () => {
    const payload = github.reviewWithState('approved');
    const object = await produce('pull_request_review', payload, 'b7e2f1a4-3b7f-11ee-9d1c-0242ac120002');
    expect(object.metadata.labels?.['events.argoproj.io/trigger']).toBe('pr-approved');
    expect(object.spec.github).toEqual(
      expect.objectContaining({
        event: 'pull_request_review',
        action: 'submitted',
        reviewState: 'approved',
        occurredAt: payload.review.submitted_at,
        headRef: payload.pull_request.head.ref,
        baseRef: payload.pull_request.base.ref,
        reviewAuthorAssociation: payload.review.author_association,
        authorAssociation: payload.pull_request.author_association,
        reviewer: payload.review.user.login,
        reviewerId: payload.review.user.id,
        reviewId: payload.review.id,
      }),
    );
    // JSON numbers, not strings: the CRD's integers.
    expect(typeof object.spec.github?.reviewerId).toBe('number');
    expect(typeof object.spec.github?.reviewId).toBe('number');
    expect(object.spec.github).not.toHaveProperty('label');
    expect(object.spec.prNumber).toBe(payload.pull_request.number);
  });

  test('a member’s approval carries the reviewer’s association, login and account id', async () => {
    const payload = github.approvalBy('mona', 'MEMBER');
    const object = await produce('pull_request_review', payload, 'c3a9d2e4-3b7f-11ee-9d1c-0242ac120002');
    expect(object.spec.github).toEqual(
      expect.objectContaining({
        reviewAuthorAssociation: 'MEMBER',
        sender: 'mona',
        reviewer: 'mona',
        reviewerId: github.accountIdOf('mona'),
        reviewState: 'approved',
      }),
    );
  });

  test('a review requesting changes → pr-approved too: it withdraws its reviewer’s approval', async () => {
    const payload = github.reviewBy('mona', 'changes_requested');
    const object = await produce('pull_request_review', payload, 'c4b0e3f5-3b7f-11ee-9d1c-0242ac120002');
    expect(object.metadata.labels?.['events.argoproj.io/trigger']).toBe('pr-approved');
    expect(object.spec.github).toEqual(
      expect.objectContaining({
        action: 'submitted',
        reviewState: 'changes_requested',
        reviewerId: github.accountIdOf('mona'),
        reviewId: payload.review.id,
      }),
    );
  });

  test('a dismissal → pr-approved, naming the dismissed review and its author, not who dismissed it', async () => {
    const approved = github.approvalBy('mona', 'MEMBER');
    const payload = github.dismissalOf(approved, 'a-maintainer');
    const object = await produce('pull_request_review', payload, 'c5c1f406-3b7f-11ee-9d1c-0242ac120002');
    expect(object.spec.github).toEqual(
      expect.objectContaining({
        action: 'dismissed',
        reviewState: 'dismissed',
        sender: 'a-maintainer',
        reviewer: 'mona',
        reviewerId: github.accountIdOf('mona'),
        reviewId: approved.review.id,
        occurredAt: approved.review.submitted_at,
      }),
    );
  });

  test('an event of another repository names that repository', async () => {
    const payload = github.inRepository(github.opened(), 'other-org/Hello-World');
    const object = await produce('pull_request', payload, 'd4b0e3f5-3b7f-11ee-9d1c-0242ac120002');
    expect(object.spec.repository).toBe('other-org/Hello-World');
    expect(object.spec.github?.headRepository).toBe('other-org/Hello-World');
  });
  test('the name starts with the delivery id; the API server completes it, so no two creates collide', async () => {
    const payload = github.opened();
    const first = await renderObject('pull_request', payload);
    const other = await renderObject('pull_request', withHeadRef(github.opened(), 'task-9-other'));
    for (const object of [first, other]) {
      expect(object.metadata.name).toBeUndefined();
      const prefix = object.metadata.generateName!;
      expect(prefix).toBe(`gh-${object.spec.github?.deliveryId as string}-`);
      // The API server appends five characters.
      expect(`${prefix}x7k2p`).toMatch(new RegExp(OBJECT_NAME_PATTERN));
      expect(prefix.length + 5).toBeLessThanOrEqual(OBJECT_NAME_MAX);
    }
    expect(other.metadata.generateName).not.toBe(first.metadata.generateName);
  });
});

describe('other deliveries are filtered out, each dependency by the filter that decides', () => {
  // [case, event name, payload, dependency that came closest, its deciding filter path, value seen]
  const cases: [string, string, () => unknown, string, string, string][] = [
    [
      'a label other than ready-for-qa',
      'pull_request',
      github.labeled,
      'pr-labeled-ready',
      'body.label.name',
      '"bug"',
    ],
    [
      'a label that ends in ready-for-qa',
      'pull_request',
      () => github.labeledWith('not-ready-for-qa'),
      'pr-labeled-ready',
      'body.label.name',
      '"not-ready-for-qa"',
    ],
    [
      'a label that starts with ready-for-qa',
      'pull_request',
      () => github.labeledWith('ready-for-qa-later'),
      'pr-labeled-ready',
      'body.label.name',
      '"ready-for-qa-later"',
    ],
    [
      'ready-for-qa on a closed pull request',
      'pull_request',
      () => github.onClosedPullRequest(github.labeledWith('ready-for-qa')),
      'pr-labeled-ready',
      'body.pull_request.state',
      '"closed"',
    ],
    [
      'a commented review',
      'pull_request_review',
      github.reviewSubmitted,
      'pr-approved',
      'body.review.state',
      '"commented"',
    ],
    [
      'a review edited',
      'pull_request_review',
      () => Object.assign(github.reviewWithState('approved'), { action: 'edited' }),
      'pr-approved',
      'body.action',
      '"edited"',
    ],
    [
      'an approval of a closed pull request',
      'pull_request_review',
      () => github.onClosedPullRequest(github.reviewWithState('approved')),
      'pr-approved',
      'body.pull_request.state',
      '"closed"',
    ],
    ['a closed pull request', 'pull_request', github.closed, 'pr-created', 'body.action', '"closed"'],
  ];

  test.each(cases)('%s', async (_case, eventName, payload, dependency, path, seen) => {
    const rendered = await render(eventName, payload(), { deliveryId: DELIVERY });
    expect(rendered.code).toBe(3);
    expect(rendered.stdout).toBe('');
    expect(rendered.filtered.map((line) => line.split(':')[0]).sort()).toEqual([
      'pr-approved',
      'pr-created',
      'pr-labeled-ready',
    ]);
    const line = rendered.filtered.find((l) => l.startsWith(`${dependency}:`));
    expect(line).toContain(` data ${path} string `);
    expect(line).toContain(`got ${seen}`);
  });

  test('the ping GitHub sends when a webhook is created: it has no pull request at all', async () => {
    const rendered = await render('ping', github.ping(), { deliveryId: DELIVERY });
    expect(rendered.code).toBe(3);
    expect(rendered.filtered.map((line) => line.split(':')[0]).sort()).toEqual([
      'pr-approved',
      'pr-created',
      'pr-labeled-ready',
    ]);
    for (const line of rendered.filtered)
      expect(line).toContain("path 'body.pull_request.head.repo.full_name' does not exist");
  });

  test('a review whose account is gone (no user): nothing the trigger could not create', async () => {
    const payload = github.reviewWithState('approved') as { review: { user: unknown } };
    payload.review.user = null;
    const rendered = await render('pull_request_review', payload, { deliveryId: DELIVERY });
    expect(rendered.code).toBe(3);
    expect(rendered.filtered.find((l) => l.startsWith('pr-approved:'))).toContain(
      "path 'body.review.user.login' does not exist",
    );
  });

  test('the ^…$ anchors are what keeps a longer label out', async () => {
    // Argo Events matches string filters as unanchored regular expressions.
    const unanchored = scratchFile(
      'unanchored-sensor.yaml',
      readFileSync(projectSensor, 'utf8').replace("'^ready-for-qa$'", "'ready-for-qa'"),
    );
    expect(readFileSync(unanchored, 'utf8')).not.toContain('^ready-for-qa$');
    const rendered = await render('pull_request', github.labeledWith('not-ready-for-qa'), {
      sensor: unanchored,
    });
    expect(rendered.code).toBe(0);
    expect(rendered.object?.spec.github?.label).toBe('not-ready-for-qa');
  });
});

describe('the trust filters are a first line in the Sensor', () => {
  test('an outsider’s approval is filtered out on the reviewer’s association', async () => {
    const rendered = await render('pull_request_review', github.approvalBy('mallory', 'NONE'));
    expect(rendered.code).toBe(3);
    const line = rendered.filtered.find((l) => l.startsWith('pr-approved:'));
    expect(line).toContain(' data body.review.author_association string ');
    expect(line).toContain('got "NONE"');
  });

  test.each([
    ['pr-created', 'pull_request', () => github.openedFromFork('octocat')],
    ['pr-labeled-ready', 'pull_request', () => forkOf(github.labeledWith('ready-for-qa'))],
    ['pr-approved', 'pull_request_review', () => forkOf(github.approvalBy('mona', 'MEMBER'))],
  ])('a pull request from a fork is filtered out of %s', async (dependency, event, payload) => {
    const rendered = await render(event, payload());
    expect(rendered.code).toBe(3);
    expect(rendered.filtered.find((l) => l.startsWith(`${dependency}:`))).toContain('expr "head == base"');
  });

  test('a pull request whose fork was deleted is filtered out: the head repository path is missing', async () => {
    const rendered = await render('pull_request', github.fromDeletedFork(github.opened()));
    expect(rendered.code).toBe(3);
    expect(rendered.filtered.find((l) => l.startsWith('pr-created:'))).toContain(
      "path 'body.pull_request.head.repo.full_name' does not exist",
    );
  });

  test('without them, the facts reach the operator: a fork’s head repository and flag', async () => {
    const object = await renderObject('pull_request', github.openedFromFork('octocat'), {
      deliveryId: '5f2b8a1e-0000-4000-8000-00000000f0c4',
      sensor: sensorWithoutTrustFilters(),
    });
    produced.push(object);
    expect(object.spec.repository).toBe('Codertocat/Hello-World');
    expect(object.spec.github).toEqual(
      expect.objectContaining({ headRepository: 'octocat/Hello-World', headRepositoryFork: true }),
    );
  });

  test('without them, a deleted fork renders as null head repository facts', async () => {
    const object = await renderObject('pull_request', github.fromDeletedFork(github.opened()), {
      deliveryId: '6a3c9b2f-0000-4000-8000-00000000f0c5',
      sensor: sensorWithoutTrustFilters(),
    });
    produced.push(object);
    expect(object.spec.github).toEqual(
      expect.objectContaining({ headRepository: null, headRepositoryFork: null }),
    );
  });

  test('without them, an approval of a fork’s pull request carries the facts the operator refuses', async () => {
    const object = await renderObject('pull_request_review', forkOf(github.approvalBy('mona', 'MEMBER')), {
      deliveryId: '8c5ebd41-0000-4000-8000-00000000f0c7',
      sensor: sensorWithoutTrustFilters(),
    });
    produced.push(object);
    expect(object.spec.github).toEqual(expect.objectContaining({ headRepository: 'octocat/Hello-World' }));
  });

  test('without them, an outsider’s approval carries the association the operator refuses', async () => {
    const object = await renderObject('pull_request_review', github.approvalBy('mallory', 'NONE'), {
      deliveryId: '7b4dac30-0000-4000-8000-00000000f0c6',
      sensor: sensorWithoutTrustFilters(),
    });
    produced.push(object);
    expect(object.spec.github).toEqual(
      expect.objectContaining({ reviewAuthorAssociation: 'NONE', sender: 'mallory' }),
    );
  });
});

/** The event as if its pull request came from a fork. */
function forkOf<T extends { pull_request: { head: { repo: { full_name: string; fork: boolean } | null } } }>(
  payload: T,
): T {
  payload.pull_request.head.repo = {
    ...payload.pull_request.head.repo!,
    full_name: 'octocat/Hello-World',
    fork: true,
  };
  return payload;
}

describe('trigger conditions decide as the event bus does', () => {
  // Two dependencies on one event; `both` needs the two, `either` fires once per passing one.
  const sensor = () =>
    scratchFile(
      'conditions.yaml',
      `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: conditions}
spec:
  dependencies:
    - name: pull-request
      eventSourceName: github
      eventName: pull-requests
      filters: {data: [{path: body.X-GitHub-Event, type: string, value: ["^pull_request$"]}]}
    - name: opened
      eventSourceName: github
      eventName: pull-requests
      filters: {data: [{path: body.action, type: string, value: ["^opened$"]}]}
  triggers:
${['both:pull-request && opened', 'either:pull-request || opened']
  .map((t) => t.split(':'))
  .map(
    ([name, conditions]) => `    - template:
        name: ${name}
        conditions: "${conditions}"
        k8s:
          operation: create
          source: {resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: ${name}}}}`,
  )
  .join('\n')}
`,
    );
  type Labelled = { metadata: { labels: Record<string, string> } };
  /** The trigger label of each object printed: one object, or the items of a List. */
  const triggers = (printed: unknown) =>
    ((printed as { items?: Labelled[] }).items ?? [printed as Labelled]).map(
      (o) => o.metadata.labels['events.argoproj.io/trigger'],
    );

  test('when every dependency passes, each trigger fires; several firings print one v1 List', async () => {
    const rendered = await render('pull_request', github.opened(), { sensor: sensor() });
    expect(rendered.code).toBe(0);
    expect(rendered.object).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(triggers(rendered.object).sort()).toEqual(['both', 'either', 'either']);
  });

  test('when one passes, only the trigger that needs no other fires', async () => {
    const rendered = await render('pull_request', github.labeled(), { sensor: sensor() });
    expect(rendered.code).toBe(0);
    expect(triggers(rendered.object)).toEqual(['either']);
  });

  test('when none passes, the delivery is filtered out, with each dependency’s reason', async () => {
    const none = await render('pull_request_review', github.reviewSubmitted(), { sensor: sensor() });
    expect(none.code).toBe(3);
    expect(none.filtered.map((l) => l.split(':')[0])).toEqual(['pull-request', 'opened']);
  });
});

describe('header keys arrive in Go canonical form', () => {
  const sensorReading = (path: string) => `
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: header-case}
spec:
  dependencies:
    - name: any
      eventSourceName: github
      eventName: pull-requests
      filters:
        data:
          - {path: "${path}", type: string, value: ["^pull_request$"]}
  triggers:
    - template:
        name: copy-event
        k8s:
          operation: create
          source:
            resource: {apiVersion: v1, kind: ConfigMap, metadata: {name: header-case}, data: {}}
          parameters:
            - src: {dependencyName: any, dataKey: "${path}"}
              dest: data.event
`;

  test('headers.X-Github-Event matches; headers.X-GitHub-Event (as GitHub spells it) does not exist', async () => {
    const canonical = await render('pull_request', github.opened(), {
      sensor: scratchFile('canonical.yaml', sensorReading('headers.X-Github-Event.0')),
    });
    expect(canonical.code).toBe(0);
    expect(canonical.object).toMatchObject({ kind: 'ConfigMap', data: { event: 'pull_request' } });

    const asSent = await render('pull_request', github.opened(), {
      sensor: scratchFile('as-sent.yaml', sensorReading('headers.X-GitHub-Event.0')),
    });
    expect(asSent.code).toBe(3);
    expect(asSent.filtered).toEqual([
      expect.stringContaining("path 'headers.X-GitHub-Event.0' does not exist"),
    ]);
  });
});

describe('what the Sensor produces is accepted', () => {
  test('by the operator’s schema', () => {
    expect(produced.length).toBeGreaterThanOrEqual(4);
    for (const object of produced) {
      const parsed = resumeRequestSpecSchema.safeParse(object.spec);
      expect(parsed.success ? 'valid' : describeIssues(parsed.error)).toBe('valid');
    }
  });

  test('by the ResumeRequest CRD, field for field; a redelivery is one more request of the same delivery', async () => {
    const namespace = await createNamespace('sensor-render');
    for (const object of produced) {
      const created = JSON.parse(
        await kubectlOk(['create', '-n', namespace, '-o', 'json', '-f', '-'], JSON.stringify(object)),
      ) as RenderedObject;
      // The API server prunes fields its schema does not know; nothing may be lost.
      expect(created.spec).toEqual(object.spec);
      for (const label of TRIGGER_LABELS) expect(created.metadata.labels).toHaveProperty([label]);
    }
    const redelivery = await renderObject('pull_request', github.opened(), { deliveryId: DELIVERY });
    const again = JSON.parse(
      await kubectlOk(['create', '-n', namespace, '-o', 'json', '-f', '-'], JSON.stringify(redelivery)),
    ) as RenderedObject;
    expect(again.metadata.name).toMatch(new RegExp(`^gh-${DELIVERY}-[a-z0-9]{5}$`));
    expect(again.spec.github?.deliveryId).toBe(DELIVERY);
  });
});
