import fc from 'fast-check';
import { RE2JS } from 're2js';
import {
  compilePattern,
  MAX_MATCH_STEPS,
  MAX_PROGRAM_SIZE,
  MAX_SUBJECT_LENGTH,
} from '../../src/domain/pattern.js';
import { estimateProgramSize } from '../../src/domain/pattern-cost.js';
import { evaluateRules, parseRuleField } from '../../src/domain/validation-rules.js';
import type { ValidationRule } from '../../src/api/resume-request.js';
import { playWorkflow } from '../fixtures/play-workflows.js';

const subjects = {
  workflow: playWorkflow({ labels: { 'app.kubernetes.io/name': 'play' } }),
  // A flat map, as spec.eventPayload is: each value under its rule path.
  event: {
    'pull_request.base.ref': 'main',
    'pull_request.draft': 'false',
    'pull_request.number': '17',
    'pull_request.labels.0.name': 'bug',
  },
  github: { event: 'pull_request' as const, action: 'opened', sender: 'octocat' },
};
const failures = (rule: ValidationRule, scope: 'request' | 'workflow' = 'request') =>
  evaluateRules([rule], subjects, scope);

describe('rule fields', () => {
  it.each([
    ['workflow.metadata.name', { source: 'workflow', path: ['metadata', 'name'] }],
    [
      "workflow.metadata.labels['app.kubernetes.io/name']",
      { source: 'workflow', path: ['metadata', 'labels', 'app.kubernetes.io/name'] },
    ],
    ['event.pull_request.labels[0].name', { source: 'event', path: ['pull_request', 'labels', 0, 'name'] }],
  ])('parses %s', (field, expected) => {
    expect(parseRuleField(field)).toEqual(expected);
  });

  it.each(['workflow', 'secret.x', 'event..x', 'event.a[b]', "event['a"])('refuses %s', (field) => {
    expect(parseRuleField(field)).toBeUndefined();
  });
});

describe('rule operators', () => {
  it.each<[ValidationRule, string[]]>([
    [{ field: 'event.pull_request.base.ref', operator: 'Equals', value: 'main' }, []],
    [
      { field: 'event.pull_request.base.ref', operator: 'Equals', value: 'dev' },
      ['event.pull_request.base.ref is "main", not "dev"'],
    ],
    [{ field: 'event.pull_request.number', operator: 'Equals', value: '17' }, []],
    [{ field: 'event.pull_request.draft', operator: 'Equals', value: 'false' }, []],
    [
      { field: 'event.pull_request.base', operator: 'Equals', value: 'main' },
      ['event.pull_request.base is nothing, not "main"'],
    ],
    [{ field: 'github.sender', operator: 'NotEquals', value: 'octocat' }, ['github.sender is "octocat"']],
    [{ field: 'github.title', operator: 'NotEquals', value: 'x' }, []],
    [{ field: 'github.action', operator: 'In', values: ['opened', 'reopened'] }, []],
    [{ field: 'github.title', operator: 'In', values: ['a'] }, ['github.title is nothing, not one of ["a"]']],
    [{ field: 'github.action', operator: 'NotIn', values: ['closed'] }, []],
    [{ field: 'github.action', operator: 'NotIn', values: ['opened'] }, ['github.action is "opened"']],
    [{ field: 'event.pull_request.labels[0].name', operator: 'Exists' }, []],
    [{ field: "event['pull_request.draft']", operator: 'Equals', value: 'false' }, []],
    [
      { field: 'event.pull_request.labels[1].name', operator: 'Exists' },
      ['event.pull_request.labels[1].name is missing'],
    ],
    [{ field: 'github.headRef', operator: 'DoesNotExist' }, []],
    [{ field: 'github.sender', operator: 'DoesNotExist' }, ['github.sender is present ("octocat")']],
    [{ field: 'github.sender', operator: 'Matches', value: '^octo' }, []],
    [
      { field: 'github.sender', operator: 'Matches', value: '^bot' },
      ['github.sender is "octocat", which does not match "^bot"'],
    ],
    [
      { field: 'github.sender', operator: 'Matches', value: '(?=octo)' },
      [
        'github.sender pattern refused: not an RE2 pattern: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
      ],
    ],
    [
      { field: 'event.pull_request', operator: 'Matches', value: 'x' },
      ['event.pull_request is nothing, not text to match'],
    ],
    [{ field: 'github.sender', operator: 'Exists', message: 'who sent it?' }, []],
    [
      { field: 'github.title', operator: 'Exists', message: 'needs a title' },
      ['github.title: needs a title (is missing)'],
    ],
  ])('%j → %j', (rule, expected) => {
    expect(failures(rule)).toEqual(expected);
  });

  it('does not walk into inherited properties', () => {
    expect(failures({ field: 'event.constructor', operator: 'Exists' })).toEqual([
      'event.constructor is missing',
    ]);
  });

  it('keeps request rules and workflow rules apart', () => {
    const rules: ValidationRule[] = [
      { field: 'workflow.metadata.labels.nope', operator: 'Exists' },
      { field: 'github.nope', operator: 'Exists' },
    ];
    expect(evaluateRules(rules, subjects, 'request')).toEqual(['github.nope is missing']);
    expect(evaluateRules(rules, subjects, 'workflow')).toEqual(['workflow.metadata.labels.nope is missing']);
  });

  it('reads workflow labels whose keys have dots and slashes', () => {
    const rule: ValidationRule = {
      field: "workflow.metadata.labels['app.kubernetes.io/name']",
      operator: 'Equals',
      value: 'play',
    };
    expect(failures(rule, 'workflow')).toEqual([]);
  });

  it('refuses to match overlong values rather than cutting them', () => {
    const rule: ValidationRule = { field: 'event.long', operator: 'Matches', value: 'a$' };
    const long = { ...subjects, event: { long: 'a'.repeat(MAX_SUBJECT_LENGTH + 1) } };
    expect(evaluateRules([rule], long, 'request')).toEqual([
      `event.long is longer than ${MAX_SUBJECT_LENGTH} characters, too long to match`,
    ]);
  });
});

describe('RE2 patterns', () => {
  it.each([
    '^release/[0-9]+\\.[0-9]+$',
    '^v?[0-9]+\\.[0-9]+$',
    '^(feat|fix)/.+$',
    '^(ab)+$',
    '[a-z]{2,8}',
    '\\d+',
    '^[(]a+$',
    '^[a\\]+]*$',
    '(a+)+$',
    '^((a|aa)+|b)*c$',
    'a*b*c*d*e*f*',
  ])('accepts %s', (pattern) => {
    expect(compilePattern(pattern).ok).toBe(true);
  });

  it.each([
    ['(a)\\1', 'invalid escape sequence'],
    ['(?=a)b', 'invalid or unsupported Perl syntax'],
    ['(?<!a)b', 'invalid named capture'],
    ['[a', 'missing closing ]'],
    ['(((a{1,1000}){1,1000}){1,1000})', 'would compile to about'],
    ['[a-z]{1000}[0-9]{1000}[a-z]{1000}', 'would compile to about'],
    ['(?:a{30}){30}(?:b{30}){30}(?:c{30}){30}', 'would compile to about'],
    ['x'.repeat(257), 'longer than 256'],
  ])('refuses %s', (pattern, message) => {
    const compiled = compilePattern(pattern);
    expect(compiled.ok ? '' : compiled.message).toContain(message);
  });

  it('runs nested alternations in repeated groups in linear time', () => {
    // Exponential on a backtracking engine: with ~30 characters one match would take minutes.
    const compiled = compilePattern('^((a|aa)+|(a|b)+)+$');
    if (!compiled.ok) throw new Error(compiled.message);
    const subject = `${'a'.repeat(MAX_SUBJECT_LENGTH - 1)}!`;
    const started = performance.now();
    expect(compiled.pattern.test(subject)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('captures the first group of the first match, as Go does', () => {
    const compiled = compilePattern('^task-([0-9]+)(?:[-_./].*)?$');
    if (!compiled.ok) throw new Error(compiled.message);
    expect(compiled.pattern.firstCapture('task-42-fix')).toBe('42');
    expect(compiled.pattern.firstCapture('feature/task-42')).toBeUndefined();
  });

  it('counts the subject in code points, as the API server counts lengths', () => {
    const rule: ValidationRule = { field: 'event.title', operator: 'Matches', value: '^😀+$' };
    const emoji = { ...subjects, event: { title: '😀'.repeat(MAX_SUBJECT_LENGTH) } };
    expect(evaluateRules([rule], emoji, 'request')).toEqual([]);
  });
});

describe('the cost of patterns', () => {
  /** Patterns from RE2's syntax: literals, classes, escapes, groups, alternations, quantifiers. */
  const patternArb = fc.letrec<{ pattern: string }>((tie) => ({
    pattern: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('a', 'b', '.', '\\d', '\\pL', '[a-z]', '[^x]', '^', '$', '\\b', '\\Qa.b\\E', '\\x{41}'),
      fc.tuple(tie('pattern'), tie('pattern')).map(([a, b]) => a + b),
      fc.tuple(tie('pattern'), tie('pattern')).map(([a, b]) => `(?:${a}|${b})`),
      tie('pattern').map((a) => `(${a})`),
      fc
        .tuple(
          tie('pattern'),
          fc.constantFrom('*', '+', '?', '*?', '{3}', '{2,}', '{0,5}', '{20,40}', '{100}'),
        )
        .map(([a, q]) => `(?:${a})${q}`),
    ),
  })).pattern;

  it('estimates at least the size RE2 compiles a pattern to, before compiling it', () => {
    fc.assert(
      fc.property(patternArb, (pattern) => {
        let compiled: RE2JS;
        try {
          compiled = RE2JS.compile(pattern);
        } catch {
          return; // refused by RE2's parser (a repeat count past 1000): never compiled at all
        }
        expect(estimateProgramSize(pattern)).toBeGreaterThanOrEqual(compiled.programSize());
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses twenty short patterns with large counted repetitions by their estimate', () => {
    const patterns = Array.from(
      { length: 20 },
      (_, i) => `${String.fromCharCode(97 + i)}{1000}[a-z]{999}\\pL{999}`,
    );
    for (const pattern of patterns) {
      const compiled = compilePattern(pattern);
      expect(compiled.ok ? '' : compiled.message).toContain(
        `would compile to about ${estimateProgramSize(pattern)} instructions, more than ${MAX_PROGRAM_SIZE}`,
      );
    }
  });

  it("holds one evaluation's Matches rules to a budget of match steps", () => {
    // About 150 instructions each: one match on the longest subject costs 0.6 million steps,
    // so the first of these rules is matched and the budget is spent before the second.
    const title = 'a'.repeat(MAX_SUBJECT_LENGTH);
    const rules: ValidationRule[] = Array.from({ length: 20 }, () => ({
      field: 'event.title',
      operator: 'Matches' as const,
      value: '[a-z]{150}',
    }));
    const found = evaluateRules(rules, { event: { title } }, 'request');
    expect(found).toHaveLength(19);
    for (const failure of found) {
      expect(failure).toMatch(
        /^event\.title would take [0-9]+ match steps, more than the [0-9]+ left of the/,
      );
      expect(failure).toContain(`${MAX_MATCH_STEPS}`);
    }
    // A budget that a pattern of ordinary size on an ordinary subject never comes near.
    const ordinary = compilePattern('^(feat|fix|chore)/[a-z0-9-]{1,63}$');
    if (!ordinary.ok) throw new Error(ordinary.message);
    expect(ordinary.pattern.programSize * (256 + 1) * 20).toBeLessThan(MAX_MATCH_STEPS);
  });
});
