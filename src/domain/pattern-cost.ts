// What a pattern will cost before it is compiled. Compiling expands every counted repetition
// (`x{1000}` becomes a thousand instructions), so a 256-character pattern can compile to 36,000
// instructions and take a third of a second; twenty of them in one request would hold the event
// loop for seconds. This reads the pattern once, as RE2's parser sizes a regexp (calcSize), and
// gives the program size the compile would reach, so a pattern over the limit is refused
// without compiling it.

interface Group {
  /** Sizes of the finished alternatives of this group. */
  branches: number[];
  /** Size of the alternative being read. */
  current: number;
  /** Size of the last atom of `current`: what a following quantifier repeats. */
  last: number;
  capture: boolean;
}

const counted = /\{([0-9]{1,6})(,([0-9]{0,6}))?\}/y;
/** Enough to refuse anything; keeps the arithmetic finite. */
const CEILING = 1e12;

const newGroup = (capture: boolean): Group => ({ branches: [], current: 0, last: 0, capture });

function addAtom(group: Group, size: number): void {
  group.current = Math.min(CEILING, group.current + size);
  group.last = size;
}

/** Replaces the group's last atom by the same atom under a quantifier of the given size. */
function quantify(group: Group, size: (atom: number) => number): void {
  const repeated = Math.min(CEILING, size(group.last));
  group.current = Math.min(CEILING, group.current - group.last + repeated);
  group.last = repeated;
}

function groupSize(group: Group): number {
  const branches = [...group.branches, group.current];
  const sum = branches.reduce((total, size) => total + size, 0) + (branches.length - 1);
  return Math.min(CEILING, sum + (group.capture ? 2 : 0));
}

/** The index just past a `{…}` that starts at `i`, or `i + 1` when there is none. */
function pastBraces(source: string, i: number): number {
  if (source[i] !== '{') return i + 1;
  const close = source.indexOf('}', i);
  return close === -1 ? source.length : close + 1;
}

/** The index just past the escape that starts at `i` (the backslash). */
function pastEscape(source: string, i: number): number {
  const kind = source[i + 1];
  if (kind === 'p' || kind === 'P' || kind === 'x')
    return kind === 'x' && source[i + 2] !== '{' ? i + 4 : pastBraces(source, i + 2);
  return i + 2;
}

/** The index just past the character class that starts at `i` (its `[`). */
function pastClass(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') {
    if (source[j] === '\\') j = pastEscape(source, j);
    else if (source.startsWith('[:', j)) {
      const close = source.indexOf(':]', j + 2);
      j = close === -1 ? j + 1 : close + 2;
    } else j++;
  }
  return j + 1;
}

/** How `(` opens: a group (capturing or not), or a flag setting such as `(?i)` that opens none. */
function openGroup(source: string, i: number): { next: number; group?: Group } {
  if (source[i + 1] !== '?') return { next: i + 1, group: newGroup(true) };
  if (source.startsWith('P<', i + 2) || source[i + 2] === '<') {
    const close = source.indexOf('>', i);
    return { next: close === -1 ? source.length : close + 1, group: newGroup(true) };
  }
  let j = i + 2;
  while (j < source.length && /[imsU-]/.test(source[j]!)) j++;
  if (source[j] === ':') return { next: j + 1, group: newGroup(false) };
  return { next: j + 1 };
}

/** The size RE2 would give the compiled pattern, in instructions, read without compiling it. */
export function estimateProgramSize(source: string): number {
  const stack: Group[] = [newGroup(true)];
  const top = () => stack[stack.length - 1]!;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    switch (c) {
      case '\\':
        if (source[i + 1] === 'Q') {
          const end = source.indexOf('\\E', i + 2);
          const literal = (end === -1 ? source.length : end) - (i + 2);
          for (let k = 0; k < literal; k++) addAtom(top(), 1);
          i = end === -1 ? source.length : end + 2;
        } else {
          addAtom(top(), 1);
          i = pastEscape(source, i);
        }
        continue;
      case '[':
        addAtom(top(), 1);
        i = pastClass(source, i);
        continue;
      case '(': {
        const { next, group } = openGroup(source, i);
        if (group) stack.push(group);
        i = next;
        continue;
      }
      case ')':
        if (stack.length > 1) {
          const group = stack.pop()!;
          addAtom(top(), groupSize(group));
        }
        i++;
        continue;
      case '|': {
        const group = top();
        group.branches.push(group.current);
        group.current = 0;
        group.last = 0;
        i++;
        continue;
      }
      case '*':
        quantify(top(), (atom) => 2 + atom);
        i += source[i + 1] === '?' ? 2 : 1;
        continue;
      case '+':
      case '?':
        quantify(top(), (atom) => 1 + atom);
        i += source[i + 1] === '?' ? 2 : 1;
        continue;
      case '{': {
        counted.lastIndex = i;
        const match = counted.exec(source);
        if (!match) break;
        const min = Number(match[1]);
        const max = match[2] === undefined ? min : match[3] === '' ? -1 : Number(match[3]);
        quantify(top(), (atom) =>
          max === -1 ? (min === 0 ? 2 + atom : 1 + min * atom) : max * atom + Math.max(0, max - min),
        );
        i = counted.lastIndex + (source[counted.lastIndex] === '?' ? 1 : 0);
        continue;
      }
    }
    addAtom(top(), 1);
    i++;
  }
  while (stack.length > 1) {
    const group = stack.pop()!;
    addAtom(top(), groupSize(group));
  }
  // The whole-match capture and the final match instruction.
  return Math.min(CEILING, groupSize(stack[0]!) + 1);
}
