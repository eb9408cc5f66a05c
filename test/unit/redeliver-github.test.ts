// hack/redeliver-github against recorded answers of GitHub's REST API, served on 127.0.0.1: it
// redelivers exactly the delivery ids none of whose attempts got through within the window,
// each by its latest attempt, follows the Link header's pages, and stops at the window's edge.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../bench/paths.js';

interface Attempt {
  id: number;
  guid: string;
}
const recorded = JSON.parse(
  readFileSync(join(projectRoot, 'test/fixtures/github/hook-deliveries.json'), 'utf8'),
) as { pages: Attempt[][] };
const [A, B, C, D] = [
  '0b989ba4-2a8d-11ee-8a1a-4bd0ad2c42b1',
  '1c3f7e52-2a8d-11ee-9b2b-5ce1be3d53c2',
  '2d506f63-2a8d-11ee-8c3c-6df2cf4e64d3',
  '3e617074-2a8d-11ee-8d4d-7e03d05f75e4',
];

let server: Server;
let base: string;
const seen: { method: string; url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    seen.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization });
    const url = new URL(request.url!, base);
    const list = /^\/repos\/Codertocat\/Hello-World\/hooks\/77\/deliveries$/.exec(url.pathname);
    const redeliver = /^\/repos\/Codertocat\/Hello-World\/hooks\/77\/deliveries\/(\d+)\/attempts$/.exec(
      url.pathname,
    );
    if (request.method === 'GET' && list) {
      const page = Number(url.searchParams.get('cursor') ?? 0);
      const next =
        page + 1 < recorded.pages.length
          ? `<${base}${url.pathname}?per_page=100&cursor=${page + 1}>; rel="next"`
          : '';
      response.writeHead(200, { 'content-type': 'application/json', ...(next ? { link: next } : {}) });
      return response.end(JSON.stringify(recorded.pages[page]));
    }
    if (request.method === 'POST' && redeliver) {
      response.writeHead(202, { 'content-type': 'application/json' });
      return response.end('{}');
    }
    response.writeHead(404).end('{"message":"Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

async function redeliver(...args: string[]) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(projectRoot, 'hack/redeliver-github.mjs'),
      '--repo',
      'Codertocat/Hello-World',
      '--hook',
      '77',
      ...args,
    ],
    { env: { ...process.env, GITHUB_API_URL: base, GITHUB_TOKEN: 'recorded-token' } },
  );
  return {
    lines: stdout.trim().split('\n'),
    summary: JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>,
  };
}

const posted = () => seen.filter((r) => r.method === 'POST').map((r) => r.url);
const attemptOf = (id: number) => `/repos/Codertocat/Hello-World/hooks/77/deliveries/${id}/attempts`;

describe('hack/redeliver-github', () => {
  it('redelivers each delivery that never got through in the window, by its latest attempt', async () => {
    const { summary, lines } = await redeliver('--since', '2026-12-01T00:00:00Z');
    expect(posted().sort()).toEqual([attemptOf(93021003), attemptOf(93021006)].sort());
    expect(summary).toEqual({ attempts: 6, deliveries: 4, chosen: 2, redelivered: 2, dryRun: false });
    expect(lines.filter((line) => line.startsWith('redelivered')).join('\n')).toContain(B);
    expect(lines.join('\n')).toContain(D);
    // Both pages were read, with the token.
    expect(seen.filter((r) => r.method === 'GET')).toHaveLength(2);
    expect(new Set(seen.map((r) => r.authorization))).toEqual(new Set(['Bearer recorded-token']));
  });

  it('skips a delivery whose redelivery got through, and reads no page past the window', async () => {
    const { summary } = await redeliver('--since', '2026-12-02T10:02:30Z');
    // In the window: A (failed, then redelivered with success) and B.
    expect(posted()).toEqual([attemptOf(93021006)]);
    expect(summary).toMatchObject({ deliveries: 2, chosen: 1 });
    expect(seen.filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('redelivers named deliveries whatever GitHub recorded, and changes nothing on a dry run', async () => {
    await redeliver('--since', '2026-12-01T00:00:00Z', '--guid', C, '--guid', A);
    expect(posted().sort()).toEqual([attemptOf(93021004), attemptOf(93021007)].sort());
    seen.length = 0;
    const dry = await redeliver('--since', '2026-12-01T00:00:00Z', '--dry-run');
    expect(posted()).toEqual([]);
    expect(dry.summary).toMatchObject({ chosen: 2, redelivered: 0, dryRun: true });
    expect(dry.lines.filter((line) => line.startsWith('would redeliver'))).toHaveLength(2);
  });

  it('refuses to run without a hook id', async () => {
    await expect(
      promisify(execFile)(
        process.execPath,
        [join(projectRoot, 'hack/redeliver-github.mjs'), '--repo', 'a/b'],
        {
          env: { ...process.env, GITHUB_TOKEN: 't' },
        },
      ),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--hook') });
  });
});
