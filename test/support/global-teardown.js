import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export default async function globalTeardown() {
  const plane = globalThis.__PLANE__;
  if (!plane?.owned || process.env.KEEP_PLANE === '1') return;
  execFileSync(join(root, 'hack/plane'), ['down', plane.dir], { stdio: 'inherit' });
  // Its etcd data and logs are a hundred megabytes a run; KEEP_PLANE=1 keeps them for a post-mortem.
  rmSync(plane.dir, { recursive: true, force: true });
}
