// Writes charts/workflow-resume-operator/README.md from the chart's values.yaml: a table of
// every value, its default and the comment above it, so the chart's reference never drifts from
// what it does. `node hack/chart-readme.mjs --check` fails when the README is out of date (a unit
// test runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';

const chart = resolve(import.meta.dirname, '../charts/workflow-resume-operator');
const readmePath = join(chart, 'README.md');

/** The comment above a key, as one line; the file's own header paragraph is not the first key's. */
function describe(comment, first) {
  if (!comment) return '';
  const paragraphs = comment.split(/\n\s*\n/);
  const text = first ? (paragraphs.length > 1 ? paragraphs.at(-1) : '') : paragraphs.join(' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .join(' ')
    .trim();
}

const cell = (text) => text.replace(/\|/g, '\\|');

function rows(map, prefix, out, firstKey) {
  map.items.forEach((pair, index) => {
    const key = `${prefix}${pair.key.value}`;
    const description = describe(pair.key.commentBefore ?? pair.commentBefore, firstKey && index === 0);
    const value = pair.value;
    if (isMap(value) && !value.flow && value.items.length > 0) {
      if (description) out.push(`| \`${key}\` | | ${cell(description)} |`);
      rows(value, `${key}.`, out, false);
      return;
    }
    const shown = isScalar(value) || isSeq(value) || isMap(value) ? JSON.stringify(value.toJSON()) : '';
    out.push(`| \`${key}\` | \`${cell(shown)}\` | ${cell(description)} |`);
  });
}

/** The README as Prettier formats it, so that the lint's check agrees with the generator. */
export async function renderReadme() {
  const chartYaml = parseDocument(readFileSync(join(chart, 'Chart.yaml'), 'utf8')).toJS();
  const values = parseDocument(readFileSync(join(chart, 'values.yaml'), 'utf8'));
  const table = ['| value | default | meaning |', '| --- | --- | --- |'];
  rows(values.contents, '', table, true);
  const markdown = `# ${chartYaml.name}

${chartYaml.description}.

Version ${chartYaml.version}, operator ${chartYaml.appVersion}. Installing, upgrading, uninstalling,
backups and every setting are in the project's docs/operations.md; what changed in each version,
with upgrade notes, in CHANGELOG.md.

\`\`\`sh
helm install wro oci://ghcr.io/workflow-resume-operator/charts/workflow-resume-operator \\
  --version ${chartYaml.version} -n workflow-resume-system --create-namespace
helm test wro -n workflow-resume-system   # a replica of this version is ready behind the Service
\`\`\`

The chart installs the ResumeRequest CRD as a template, so \`helm upgrade\` upgrades it, and keeps
it on \`helm uninstall\` (\`crds.keep\`). \`values.schema.json\` refuses unknown or mistyped values,
and contradicting values stop the install with a message.

## Values

This table is generated from \`values.yaml\` by \`hack/chart-readme.mjs\`.

${table.join('\n')}
`;
  return format(markdown, { ...(await resolveConfig(readmePath)), parser: 'markdown' });
}

const text = await renderReadme();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(readmePath, 'utf8');
  } catch {
    // A missing README is out of date too.
  }
  if (current !== text) {
    console.error(`${readmePath} is out of date: run node hack/chart-readme.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, text);
}
