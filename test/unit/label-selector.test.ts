import {
  formatLabelSelector,
  matchesLabelSelector,
  parseLabelSelector,
  type LabelRequirement,
} from '../../src/domain/label-selector.js';

function requirements(selector: string): LabelRequirement[] {
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.requirements;
}

describe('label selectors', () => {
  it.each([
    ['a=b', [{ key: 'a', operator: 'In', values: ['b'] }]],
    ['a==b', [{ key: 'a', operator: 'In', values: ['b'] }]],
    ['a != b', [{ key: 'a', operator: 'NotIn', values: ['b'] }]],
    ['example.com/a in (x, y)', [{ key: 'example.com/a', operator: 'In', values: ['x', 'y'] }]],
    ['a notin (x)', [{ key: 'a', operator: 'NotIn', values: ['x'] }]],
    ['a', [{ key: 'a', operator: 'Exists', values: [] }]],
    ['! a', [{ key: 'a', operator: 'DoesNotExist', values: [] }]],
    ['a=', [{ key: 'a', operator: 'In', values: [''] }]],
    ['', []],
  ])('parses %j', (selector, expected) => {
    expect(requirements(selector)).toEqual(expected);
  });

  it.each([
    ['a=b,c', 'a=b,c'],
    ['a in (x,y), !b, c!=d', 'a in (x,y),!b,c!=d'],
    ['a notin (x, y)', 'a notin (x,y)'],
  ])('prints %j back as %j', (selector, printed) => {
    expect(formatLabelSelector(requirements(selector))).toBe(printed);
  });

  it.each([
    ['a=b,', '"" is not a label selector requirement'],
    ['a in (b', 'unbalanced parentheses'],
    ['a in ((b))', 'unbalanced parentheses'],
    ['a=b)', 'unbalanced parentheses'],
    ['-a=b', '"-a" is not a valid label key'],
    ['a=b c', '"a=b c" is not a label selector requirement'],
    ['a in (b,-c)', '"-c" is not a valid label value'],
    [Array.from({ length: 21 }, (_, i) => `k${i}`).join(','), 'more than 20 requirements'],
  ])('refuses %j: %s', (selector, message) => {
    expect(parseLabelSelector(selector)).toEqual({ ok: false, message });
  });

  it('refuses to print a requirement whose value was never checked', () => {
    expect(() => formatLabelSelector([{ key: 'task-id', operator: 'In', values: ['1,a!=b'] }])).toThrow(
      'unchecked input',
    );
    expect(() => formatLabelSelector([{ key: 'bad key', operator: 'Exists', values: [] }])).toThrow();
  });

  it('matches with Kubernetes semantics, absent labels included', () => {
    const labels = { team: 'a', tier: 'web' };
    expect(matchesLabelSelector(requirements('team=a,tier in (web,api)'), labels)).toBe(true);
    expect(matchesLabelSelector(requirements('team=b'), labels)).toBe(false);
    expect(matchesLabelSelector(requirements('env!=prod'), labels)).toBe(true);
    expect(matchesLabelSelector(requirements('env notin (prod)'), undefined)).toBe(true);
    expect(matchesLabelSelector(requirements('env'), labels)).toBe(false);
    expect(matchesLabelSelector(requirements('!env'), labels)).toBe(true);
    expect(matchesLabelSelector(requirements('team in (b,c)'), labels)).toBe(false);
    expect(matchesLabelSelector(requirements('toString'), {})).toBe(false);
  });
});
