// Writes the three GitHub webhook deliveries of a play into DIR, taken from the real examples in
// @octokit/webhooks-examples. Only what ties them to the demo changes: the head branch names the
// task, the label is ready-for-qa, the review approves, and the event times are now (a replayed
// 2019 event would rightly be ignored as older than the workflow).
//   node hack/demo-payloads.mjs DIR TASK_ID
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [dir, taskId] = process.argv.slice(2);
if (!dir || !taskId) throw new Error('usage: node hack/demo-payloads.mjs DIR TASK_ID');
const definitions = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('@octokit/webhooks-examples'), 'utf8'),
);
const example = (name, action) =>
  structuredClone(definitions.find((d) => d.name === name).examples.find((e) => e.action === action));
const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const branch = `task-${taskId}-demo`;

const opened = example('pull_request', 'opened');
opened.pull_request.head.ref = branch;
opened.pull_request.created_at = opened.pull_request.updated_at = now;

const labeled = example('pull_request', 'labeled');
labeled.pull_request.head.ref = branch;
labeled.label = { ...labeled.label, name: 'ready-for-qa' };
labeled.pull_request.labels = [labeled.label];
labeled.pull_request.updated_at = now;

const approved = example('pull_request_review', 'submitted');
approved.pull_request.head.ref = branch;
approved.review.state = 'approved';
approved.review.submitted_at = now;

for (const [file, payload] of [
  ['opened.json', opened],
  ['labeled.json', labeled],
  ['approved.json', approved],
]) {
  writeFileSync(join(dir, file), JSON.stringify(payload, null, 2));
}
console.log(opened.repository.full_name);
