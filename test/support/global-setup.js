// Starts one local control plane for the whole test run (or reuses PLANE_DIR), with its Argo
// Events pipeline (--events), which the end-to-end tests deliver webhooks to. A plane that
// cannot start does not abort the run: PLANE_ERROR carries the launcher's log tail, and every
// test that needs the plane fails with it (see plane.ts), while unit tests still report.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export default async function globalSetup() {
  console.log(`\nnode ${process.version}`);
  if (process.env.UNIT_ONLY === '1') return;
  const reuse = Boolean(process.env.PLANE_DIR);
  const dir = process.env.PLANE_DIR ?? mkdtempSync(join(tmpdir(), 'wro-plane-'));
  const started = Date.now();
  try {
    await new Promise((resolvePromise, reject) => {
      execFile(
        join(root, 'hack/plane'),
        ['up', dir, '--events'],
        {
          env: reuse ? process.env : { ...process.env, PLANE_OWNER_PID: String(process.pid) },
          maxBuffer: 16 << 20,
        },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`hack/plane up ${dir} failed:\n${stderr}`)) : resolvePromise(),
      );
    });
    console.log(`plane ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${dir}`);
  } catch (error) {
    process.env.PLANE_ERROR = error.message;
    console.error(error.message);
  }
  process.env.PLANE_DIR = dir;
  globalThis.__PLANE__ = { dir, owned: !reuse };
}
