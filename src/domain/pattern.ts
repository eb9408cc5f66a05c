// Patterns that users and configuration supply (validation rules, the task-id patterns) run on
// RE2 through re2js: matching time is linear in the subject and the compiled program, so no
// pattern can stall the event loop, and a pattern means here what it means in an Argo Events
// filter (Go regexp) or a CEL matches(). RE2 has no backreferences or lookaround; those patterns
// are refused when compiled, with RE2's own explanation. A pattern whose program would be too
// large is refused before it is compiled (pattern-cost.ts), and what a match costs (program size
// × subject length) is known up front, so a request's rules can be held to a budget.
import { RE2JS } from 're2js';
import { estimateProgramSize } from './pattern-cost.js';

/** Longest pattern accepted, in characters (the CRD's limit on a rule's value). */
export const MAX_PATTERN_LENGTH = 256;
/**
 * Largest compiled program accepted, in RE2 instructions: the cost of a match is bounded by
 * program size × subject length, so both are bounded. Counted repetitions such as `a{1000}`
 * expand, which is what this limits.
 */
export const MAX_PROGRAM_SIZE = 2500;
/** Longest subject matched, in characters; a longer one fails the match with a reason. */
export const MAX_SUBJECT_LENGTH = 4096;
/**
 * Most match steps (program size × subject length, summed over a request's Matches rules) one
 * decision may spend: a match runs at 20–80 ns a step here, so about 80 ms at worst, while an
 * ordinary rule (a hundred instructions on a title) costs a few thousand.
 */
export const MAX_MATCH_STEPS = 1_000_000;

export interface Pattern {
  /** True when the pattern matches anywhere in the subject (Go's MatchString). */
  test(subject: string): boolean;
  /** The first capture group of the first match, if the pattern matched and the group took part. */
  firstCapture(subject: string): string | undefined;
  groupCount: number;
  /** Instructions in the compiled program: a match costs at most this many steps per character. */
  programSize: number;
}

export type CompiledPattern = { ok: true; pattern: Pattern } | { ok: false; message: string };

/** Compiled patterns by source: the same rules are evaluated on every reconcile of a request. */
const compiled = new Map<string, CompiledPattern>();
const CACHE_SIZE = 512;

function build(source: string): CompiledPattern {
  if (source.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const estimate = estimateProgramSize(source);
  if (estimate > MAX_PROGRAM_SIZE) {
    return {
      ok: false,
      message: `pattern would compile to about ${estimate} instructions, more than ${MAX_PROGRAM_SIZE}: use fewer or smaller counted repetitions`,
    };
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(source);
  } catch (error) {
    return { ok: false, message: `not an RE2 pattern: ${(error as Error).message}` };
  }
  if (regex.programSize() > MAX_PROGRAM_SIZE) {
    return {
      ok: false,
      message: `pattern compiles to ${regex.programSize()} instructions, more than ${MAX_PROGRAM_SIZE}: use fewer or smaller counted repetitions`,
    };
  }
  return {
    ok: true,
    pattern: {
      test: (subject) => regex.test(subject),
      firstCapture: (subject) => {
        const matcher = regex.matcher(subject);
        return matcher.find() ? (matcher.group(1) ?? undefined) : undefined;
      },
      groupCount: regex.groupCount(),
      programSize: regex.programSize(),
    },
  };
}

export function compilePattern(source: string): CompiledPattern {
  const known = compiled.get(source);
  if (known) return known;
  const result = build(source);
  if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  compiled.set(source, result);
  return result;
}
