import {
  matchesNodeFieldSelector,
  parseNodeFieldSelector,
  type NodeFieldTerm,
} from '../../src/domain/node-field-selector.js';
import type { WorkflowNode } from '../../src/api/workflow.js';

function terms(selector: string): NodeFieldTerm[] {
  const parsed = parseNodeFieldSelector(selector);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.terms;
}

const node: WorkflowNode = {
  id: 'play-1',
  name: 'play[1].approve',
  displayName: 'approve',
  type: 'Suspend',
  phase: 'Running',
  templateName: 'local-approve',
  templateRef: { name: 'gates', template: 'approve-gate' },
  inputs: { parameters: [{ name: 'env', value: 'prod' }] },
};

describe('node field selectors', () => {
  it('parses terms with Kubernetes escaping', () => {
    expect(terms('displayName=a\\,b, phase!=Failed,name==x\\=y\\\\')).toEqual([
      { field: 'displayName', negated: false, value: 'a,b' },
      { field: 'phase', negated: true, value: 'Failed' },
      { field: 'name', negated: false, value: 'x=y\\' },
    ]);
  });

  it.each([
    ['', 'the node field selector is empty'],
    ['spec.suspend=true', '"spec.suspend" is not a node field'],
    ['displayName', '"displayName" is not a field selector term'],
    ['displayName=a=b', 'unescaped'],
    ['displayName=a\\x', 'invalid escape'],
    [Array.from({ length: 11 }, () => 'id=x').join(','), 'more than 10 terms'],
  ])('refuses %j', (selector, message) => {
    const parsed = parseNodeFieldSelector(selector);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toContain(message);
  });

  it.each([
    ['displayName=approve', true],
    ['templateName=approve-gate', true],
    ['templateName=local-approve', false],
    ['templateRef.name=gates,templateRef.template=approve-gate', true],
    ['inputs.parameters.env.value=prod', true],
    ['inputs.parameters.region.value=', true],
    ['inputs.parameters.env.value!=prod', false],
    ['id=play-1,phase=Running,name=play[1].approve', true],
    ['phase=Succeeded', false],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesNodeFieldSelector(terms(selector), node)).toBe(expected);
  });
});
