// The play templates `make demo` submits (hack/demo): the lines it rewrites with sed are there
// exactly once, and the play that runs on a node (NODE=1) runs implementation, quality, testing
// and completion as container steps around the operator's three gates, each step with `command`
// set (without it Argo's controller looks the image up in a registry, which the node cannot reach)
// and its image never pulled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaultDomainConfig } from '../../src/domain/config.js';

const root = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(root, 'test/fixtures/workflows', file), 'utf8');
const demo = readFileSync(join(root, 'hack/demo'), 'utf8');

interface Template {
  name: string;
  steps?: { name: string; template: string }[][];
  suspend?: object;
  container?: { image: string; imagePullPolicy?: string; command?: string[] };
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'gm'))?.length ?? 0;

describe.each(['play-suspend.yaml', 'play-steps.yaml'])('the demo template %s', (file) => {
  it('holds each line hack/demo rewrites exactly once', () => {
    const text = read(file);
    expect(demo).toContain(`test/fixtures/workflows/${file}`);
    expect(count(text, /^ {2}name: play$/)).toBe(1);
    expect(count(text, /^ {4}task-id: .*$/)).toBe(1);
    expect(count(text, /^ {4}repository: .*$/)).toBe(1);
  });

  it('suspends at the operator’s three gates, in order', () => {
    const { spec } = parse(read(file)) as { spec: { entrypoint: string; templates: Template[] } };
    const entry = spec.templates.find((t) => t.name === spec.entrypoint)!;
    const gates = entry
      .steps!.flat()
      .filter((step) => spec.templates.find((t) => t.name === step.template)?.suspend);
    expect(gates.map((step) => step.name)).toEqual(defaultDomainConfig.stages.map((s) => s.suspendNode));
  });
});

describe('the demo’s play on a node', () => {
  const text = read('play-steps.yaml');
  const { spec } = parse(text) as { spec: { entrypoint: string; templates: Template[] } };

  it('runs implementation, quality, testing and completion as steps between the gates', () => {
    const entry = spec.templates.find((t) => t.name === spec.entrypoint)!;
    expect(entry.steps!.flat().map((step) => step.name)).toEqual([
      'implementation',
      'wait-pr-created',
      'quality',
      'wait-ready-for-qa',
      'testing',
      'wait-pr-approved',
      'completion',
    ]);
  });

  it('gives every container step a command and the step image the node has loaded, never pulled', () => {
    const containers = spec.templates.filter((t) => t.container).map((t) => t.container!);
    expect(containers.length).toBeGreaterThan(0);
    for (const container of containers) {
      expect(container.command?.length).toBeGreaterThan(0);
      expect(container.imagePullPolicy).toBe('Never');
      expect(container.image).toBe('localhost/wro-node/step:1');
    }
    expect(count(text, /image: localhost\/wro-node\/step:1$/)).toBe(containers.length);
    expect(readFileSync(join(root, 'hack/node/build.sh'), 'utf8')).toMatch(
      /^STEP_IMAGE=localhost\/wro-node\/step:1$/m,
    );
  });
});
