// User-supplied patterns run in the operator's event loop, and JavaScript regular expressions
// backtrack: `(a+)+$` on a few dozen characters never returns. A pattern is accepted only when
// its worst case stays polynomial and small on bounded input: no backreferences or lookaround,
// no quantified group that itself holds a quantifier or an alternation, and a product of
// repetition counts (an unbounded one counts as the longest subject) within REPETITION_BUDGET,
// which allows e.g. `^v?[0-9]+\.[0-9]+$` but not three unbounded repetitions.
export const MAX_PATTERN_LENGTH = 256;
export const MAX_SUBJECT_LENGTH = 256;
const REPETITION_BUDGET = 2 ** 18;

export type CompiledPattern =
  | { ok: true; test: (subject: string) => boolean }
  | { ok: false; message: string };

interface Group {
  quantified: boolean;
  alternation: boolean;
}

/** Length of the quantifier at `i` (0 if none) and how many ways it can repeat. */
function quantifierAt(pattern: string, i: number): { length: number; choices: number } {
  const lazy = (at: number) => (pattern[at] === '?' ? 1 : 0);
  const c = pattern[i];
  if (c === '*' || c === '+') return { length: 1 + lazy(i + 1), choices: MAX_SUBJECT_LENGTH };
  if (c === '?') return { length: 1 + lazy(i + 1), choices: 2 };
  const brace = /^\{(\d+)(,(\d*))?\}\??/.exec(pattern.slice(i));
  if (!brace) return { length: 0, choices: 1 };
  const max = brace[2] === undefined ? Number(brace[1]) : brace[3] === '' ? Infinity : Number(brace[3]);
  return { length: brace[0].length, choices: Math.min(max, MAX_SUBJECT_LENGTH) + 1 };
}

function unsafeConstruct(pattern: string): string | undefined {
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed';
  if (/\(\?<?[=!]/.test(pattern)) return 'lookahead and lookbehind are not allowed';
  const stack: Group[] = [];
  let cost = 1;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '(') {
      stack.push({ quantified: false, alternation: false });
      i++;
      continue;
    }
    if (c === '|') {
      if (stack.length > 0) stack[stack.length - 1]!.alternation = true;
      i++;
      continue;
    }
    // The atom runs from i to atomEnd: an escape, a character class, a closing group or one character.
    let atomEnd = i;
    if (c === '\\') atomEnd = i + 1;
    else if (c === '[') {
      atomEnd = i + 1;
      while (atomEnd < pattern.length && pattern[atomEnd] !== ']')
        atomEnd += pattern[atomEnd] === '\\' ? 2 : 1;
    }
    const closed = c === ')' ? stack.pop() : undefined;
    const quantifier = quantifierAt(pattern, atomEnd + 1);
    if (quantifier.length > 0) {
      if (closed && (closed.quantified || closed.alternation)) {
        return 'a repeated group may not contain a repetition or an alternation';
      }
      cost *= quantifier.choices;
      for (const group of stack) group.quantified = true;
    }
    i = atomEnd + 1 + quantifier.length;
  }
  if (cost > REPETITION_BUDGET) return 'too many repetitions to run safely (at most two of *, + or {n,})';
  return undefined;
}

/** Compiles a pattern if it is safe to run; the tester refuses (returns false for) long subjects. */
export function compileBoundedPattern(pattern: string): CompiledPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const unsafe = unsafeConstruct(pattern);
  if (unsafe) return { ok: false, message: unsafe };
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch (error) {
    return { ok: false, message: `invalid pattern: ${(error as Error).message}` };
  }
  return { ok: true, test: (subject) => subject.length <= MAX_SUBJECT_LENGTH && regex.test(subject) };
}
