// A backend writes only to the workflow the decision saw: not to one created again under the
// same name, nor to one changed since.
import { changedSinceDecision, uidPrecondition, type ResumeTarget } from '../../src/backends/backend.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const target = (extra: Partial<ResumeTarget> = {}): ResumeTarget => ({
  namespace: 'ci',
  workflowName: 'play-42-abcde',
  workflowUid: 'uid-play-42-abcde',
  resourceVersion: '1234',
  nodeId: 'play-42-abcde-1000',
  parameters: {},
  markerKey: 'resume.workflows.dev/waiting-pr-created',
  markerValue: 'ci/gh-1',
  message: 'Resumed by ResumeRequest ci/gh-1 (pr-created)',
  now: new Date('2019-05-15T15:22:00Z'),
  ...extra,
});

describe('the workflow a backend reads before writing', () => {
  it('is written when it has the uid and resourceVersion the decision saw', () => {
    expect(changedSinceDecision(playWorkflow(), target())).toBeUndefined();
  });

  it('is not written when it was deleted and created again under the same name', () => {
    const recreated = playWorkflow();
    recreated.metadata.uid = 'uid-other';
    expect(changedSinceDecision(recreated, target())).toBe(
      'workflow play-42-abcde was replaced (uid uid-other, decided on uid-play-42-abcde)',
    );
  });

  it('is not written when it changed since the decision', () => {
    const changed = playWorkflow();
    changed.metadata.resourceVersion = '1240';
    expect(changedSinceDecision(changed, target())).toBe(
      'workflow play-42-abcde changed since the decision (version 1240, decided on 1234)',
    );
  });

  it('is checked only on what the decision recorded', () => {
    const changed = playWorkflow();
    changed.metadata.resourceVersion = '1240';
    expect(changedSinceDecision(changed, target({ resourceVersion: undefined }))).toBeUndefined();
  });
});

describe('a merge patch', () => {
  it('names the uid it is meant for, which the API server will not change', () => {
    expect(uidPrecondition('uid-1')).toEqual({ metadata: { uid: 'uid-1' } });
    expect(uidPrecondition(undefined)).toEqual({});
  });
});
