// The API server counts a string's length in Unicode code points (Go's utf8.RuneCountInString);
// JavaScript's `length` counts UTF-16 units, so an emoji counts twice. Every length the operator
// checks against a CRD limit, or clips to one, is counted the API server's way, so nothing the
// API server admitted is refused for its length and nothing written is refused either.

/** The index just past the code point that starts at `i`: a surrogate pair is one code point. */
function nextCodePoint(text: string, i: number): number {
  const unit = text.charCodeAt(i);
  if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return i + 2;
  }
  return i + 1;
}

/** Code points in `text`; a lone surrogate counts as one, as Go counts its replacement. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i = nextCodePoint(text, i)) count++;
  return count;
}

/** The longest prefix of `text` with at most `max` code points, never splitting a surrogate pair. */
export function clipCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  for (let count = 0; count < max && end < text.length; count++) end = nextCodePoint(text, end);
  return text.slice(0, end);
}
