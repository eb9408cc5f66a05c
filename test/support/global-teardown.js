import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export default async function globalTeardown() {
  const plane = globalThis.__PLANE__;
  if (!plane?.owned || process.env.KEEP_PLANE === '1') return;
  execFileSync(join(root, 'hack/plane'), ['down', plane.dir], { stdio: 'inherit' });
}
