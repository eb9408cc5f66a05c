// The event recorder against the real API server: a repeated Event is one Event with a count,
// a flood on one object stops at the burst, and an Event that expired is recorded anew.
import * as k8s from '@kubernetes/client-node';
import { silentLogger } from '../../src/observability/logger.js';
import { EventRecorder, type EventTarget } from '../../src/runtime/event-recorder.js';
import { createNamespace, plane } from '../support/plane.js';

let namespace: string;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  namespace = await createNamespace('events');
  core = plane().kubeConfig().makeApiClient(k8s.CoreV1Api);
});

const target = (name: string): EventTarget => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  namespace,
  name,
  uid: `uid-${name}`,
});

async function eventsOf(name: string): Promise<k8s.CoreV1Event[]> {
  const list = await core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

const recorder = () => new EventRecorder(core, 'workflow-resume-operator', 'test', silentLogger());

describe('EventRecorder', () => {
  it('records a repeated Event once, with its count and last time raised', async () => {
    const events = recorder();
    for (let i = 0; i < 3; i++) {
      await events.record(target('repeated'), 'Warning', 'InvalidNodeStatus', 'status.nodes is not a map');
    }
    const recorded = await eventsOf('repeated');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ count: 3, reason: 'InvalidNodeStatus', type: 'Warning' });
    expect(new Date(recorded[0]!.lastTimestamp!).getTime()).toBeGreaterThanOrEqual(
      new Date(recorded[0]!.firstTimestamp!).getTime(),
    );
  });

  it('stops at 25 Events for one object, and keeps recording for others', async () => {
    const events = recorder();
    for (let i = 0; i < 40; i++) {
      await events.record(target('flooded'), 'Warning', 'InvalidNodeStatus', `version ${i} unreadable`);
    }
    await events.record(target('quiet'), 'Normal', 'StoppedAsDuplicate', 'stopped');
    expect(await eventsOf('flooded')).toHaveLength(25);
    expect(await eventsOf('quiet')).toHaveLength(1);
  });

  it('records an Event anew when the one it would count on has expired', async () => {
    const events = recorder();
    await events.record(target('expired'), 'Normal', 'Waiting', 'waiting for the stage');
    const [first] = await eventsOf('expired');
    await core.deleteNamespacedEvent({ namespace, name: first!.metadata.name! });
    await events.record(target('expired'), 'Normal', 'Waiting', 'waiting for the stage');
    const recorded = await eventsOf('expired');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.metadata.name).not.toBe(first!.metadata.name);
    expect(recorded[0]!.count).toBe(1);
  });
});
