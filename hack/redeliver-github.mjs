// Redelivers a GitHub webhook's failed deliveries through GitHub's REST API. GitHub never retries a
// delivery that failed (the EventSource was down, the bus refused it), so after an outage this
// lists the hook's recent deliveries, picks every delivery id (X-GitHub-Delivery) none of whose
// attempts got a 2xx, and asks GitHub to deliver each again, with the same delivery id. Safe to
// run twice: a delivery that reaches the pipeline twice becomes two ResumeRequests with the same
// spec.github.deliveryId, and the operator resumes its stage once (docs/argo-events.md).
//
//   hack/redeliver-github (--repo OWNER/NAME | --org ORG) --hook ID [--since 24h|ISO-TIME]
//                         [--guid DELIVERY_ID]... [--dry-run] [--max-pages N]
//
// --guid redelivers those deliveries whatever GitHub recorded (for example ones the Sensor's
// dead-letter trigger logged). GITHUB_TOKEN authenticates (a token that can read and write the
// hook: repository or organization administration); GITHUB_API_URL points at GitHub Enterprise
// (default https://api.github.com). Prints one line per redelivery, then a JSON summary line.
import { parseArgs } from 'node:util';

const usage =
  'usage: hack/redeliver-github (--repo OWNER/NAME | --org ORG) --hook ID [--since 24h|ISO-TIME] [--guid ID]... [--dry-run] [--max-pages N]';

function fail(message) {
  process.stderr.write(`redeliver-github: ${message}\n`);
  process.exit(2);
}

/** "90m", "24h", "3d" or an ISO time, as the earliest delivery to look at. */
function parseSince(value, now = Date.now()) {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) return now - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2]];
  const at = Date.parse(value);
  if (Number.isNaN(at)) fail(`--since ${value} is neither a duration (90m, 24h, 3d) nor a time`);
  return at;
}

/** The URL of rel="next" in a Link header, if any. */
function nextLink(header) {
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

const succeeded = (attempt) => attempt.status_code >= 200 && attempt.status_code < 300;

async function main() {
  const { values } = parseArgs({
    options: {
      repo: { type: 'string' },
      org: { type: 'string' },
      hook: { type: 'string' },
      since: { type: 'string', default: '72h' },
      guid: { type: 'string', multiple: true, default: [] },
      'dry-run': { type: 'boolean', default: false },
      'max-pages': { type: 'string', default: '50' },
    },
  });
  if (Boolean(values.repo) === Boolean(values.org)) fail(`name one of --repo and --org\n${usage}`);
  if (values.repo && !/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(values.repo))
    fail(`--repo ${values.repo} is not OWNER/NAME`);
  if (values.org && !/^[A-Za-z0-9-]+$/.test(values.org))
    fail(`--org ${values.org} is not an organization login`);
  if (!/^\d+$/.test(values.hook ?? '')) fail(`--hook needs the webhook's numeric id\n${usage}`);
  const maxPages = Number(values['max-pages']);
  if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > 1000) fail('--max-pages is 1 to 1000');
  const token = process.env.GITHUB_TOKEN;
  if (!token) fail('set GITHUB_TOKEN to a token that may read and redeliver the hook');
  const since = parseSince(values.since);
  const api = (process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '');
  const hookPath = `${values.repo ? `/repos/${values.repo}` : `/orgs/${values.org}`}/hooks/${values.hook}`;
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${token}`,
    'x-github-api-version': '2022-11-28',
    'user-agent': 'workflow-resume-operator-redeliver',
  };

  // Newest first: stop at the first page that reaches past --since.
  const attempts = [];
  let url = `${api}${hookPath}/deliveries?per_page=100`;
  for (let page = 0; url && page < maxPages; page++) {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    if (!response.ok)
      fail(`GET ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const items = await response.json();
    attempts.push(...items.filter((item) => Date.parse(item.delivered_at) >= since));
    if (items.some((item) => Date.parse(item.delivered_at) < since)) break;
    url = nextLink(response.headers.get('link'));
  }

  // A delivery id may have several attempts (GitHub's own redeliveries): it needs another only
  // when none of them got through, unless it is named.
  const byGuid = new Map();
  for (const attempt of attempts) byGuid.set(attempt.guid, [...(byGuid.get(attempt.guid) ?? []), attempt]);
  const named = new Set(values.guid);
  const chosen = [...byGuid]
    .filter(([guid, list]) => named.has(guid) || (named.size === 0 && !list.some(succeeded)))
    .map(([guid, list]) => [
      guid,
      list.reduce((a, b) => (Date.parse(a.delivered_at) >= Date.parse(b.delivered_at) ? a : b)),
    ]);
  for (const guid of named)
    if (!byGuid.has(guid))
      process.stderr.write(
        `redeliver-github: ${guid} is not among the hook's deliveries since ${new Date(since).toISOString()}\n`,
      );

  let redelivered = 0;
  for (const [guid, latest] of chosen) {
    const what = `${guid} (${latest.event}${latest.action ? ` ${latest.action}` : ''}, last attempt ${latest.delivered_at}: ${latest.status_code} ${latest.status})`;
    if (values['dry-run']) {
      process.stdout.write(`would redeliver ${what}\n`);
      continue;
    }
    const post = `${api}${hookPath}/deliveries/${latest.id}/attempts`;
    const response = await fetch(post, { method: 'POST', headers, signal: AbortSignal.timeout(30_000) });
    if (response.status !== 202 && !response.ok) {
      process.stderr.write(
        `redeliver-github: POST ${post} answered ${response.status}: ${(await response.text()).slice(0, 300)}\n`,
      );
      continue;
    }
    redelivered += 1;
    process.stdout.write(`redelivered ${what}\n`);
  }
  process.stdout.write(
    `${JSON.stringify({ attempts: attempts.length, deliveries: byGuid.size, chosen: chosen.length, redelivered, dryRun: values['dry-run'] })}\n`,
  );
  if (!values['dry-run'] && redelivered < chosen.length) process.exit(1);
}

await main();
