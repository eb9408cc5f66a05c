// Deliveries go through the project's own Argo Events Sensor (config/argo-events/sensor.yaml),
// run by hack/sensor-render with Argo Events' own filter and trigger code: what comes out is
// exactly the ResumeRequest a cluster's Sensor would create, or nothing when a filter drops it.
// One sensor-render process (--stream) renders every delivery, in order, so a thousand
// deliveries do not cost a thousand Go start-ups on a machine whose cores are shared.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runCommandOk } from '../bench/command.js';
import { projectRoot } from '../bench/paths.js';
import type { Webhook } from './payloads.js';

const sensorRender = join(projectRoot, 'hack/sensor-render');
const sensor = join(projectRoot, 'config/argo-events/sensor.yaml');

export interface RenderedRequest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

interface StreamResult {
  outcome: 'rendered' | 'filtered' | 'error';
  object?: RenderedRequest;
  filtered?: string[];
  error?: string;
}

interface Pending {
  resolve: (result: StreamResult) => void;
  reject: (error: Error) => void;
}

export class Sensor {
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.pending.shift()?.resolve(JSON.parse(line) as StreamResult);
    });
    child.once('exit', (code) => {
      this.failure = new Error(`hack/sensor-render --stream exited (${code}): ${stderr}`);
      for (const waiting of this.pending.splice(0)) waiting.reject(this.failure);
    });
  }

  /** Builds sensor-render if needed (minutes on a cold cache), checks the Sensor and starts it. */
  static async start(timeoutMs: number): Promise<Sensor> {
    await runCommandOk(sensorRender, ['--validate', sensor], { timeoutMs });
    return new Sensor(spawn(sensorRender, ['--stream', sensor], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** The request the Sensor creates for this delivery, or undefined when it filters it out. */
  async render(webhook: Webhook, deliveryId: string): Promise<RenderedRequest | undefined> {
    if (this.failure) throw this.failure;
    const result = await new Promise<StreamResult>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(
        `${JSON.stringify({ event: webhook.event, payload: webhook.payload, deliveryId })}\n`,
      );
    });
    if (result.outcome === 'filtered') return undefined;
    if (result.outcome !== 'rendered' || !result.object)
      throw new Error(`hack/sensor-render could not render delivery ${deliveryId}: ${result.error}`);
    return result.object;
  }

  close(): void {
    this.child.stdin.end();
  }
}
