// Deliveries go through the project's own Argo Events Sensor (config/argo-events/sensor.yaml),
// run by hack/sensor-render with Argo Events' own filter and trigger code: what comes out is
// exactly the ResumeRequest a cluster's Sensor would create, or nothing when a filter drops it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, runCommandOk } from '../bench/command.js';
import { projectRoot } from '../bench/paths.js';
import type { Webhook } from './payloads.js';

const sensorRender = join(projectRoot, 'hack/sensor-render');
const sensor = join(projectRoot, 'config/argo-events/sensor.yaml');
/** sensor-render's exit status when a filter of the Sensor dropped the delivery. */
const FILTERED = 3;

export interface RenderedRequest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

export class Sensor {
  private readonly scratch = mkdtempSync(join(tmpdir(), 'wro-soak-deliveries-'));
  private files = 0;

  /** Builds sensor-render if needed (minutes on a cold cache) and checks the Sensor. */
  static async ready(timeoutMs: number): Promise<Sensor> {
    await runCommandOk(sensorRender, ['--validate', sensor], { timeoutMs });
    return new Sensor();
  }

  /** The request the Sensor creates for this delivery, or undefined when it filters it out. */
  async render(webhook: Webhook, deliveryId: string): Promise<RenderedRequest | undefined> {
    const file = join(this.scratch, `${this.files++}.json`);
    writeFileSync(file, JSON.stringify(webhook.payload));
    const result = await runCommand(sensorRender, [sensor, webhook.event, file, deliveryId], {
      timeoutMs: 60_000,
    });
    rmSync(file, { force: true });
    if (result.code === FILTERED) return undefined;
    if (result.code !== 0) throw new Error(`hack/sensor-render failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as RenderedRequest;
  }

  close(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
