// The API server counts a string's length in Unicode code points (Go's utf8.RuneCountInString);
// JavaScript's `length` counts UTF-16 units, so an emoji counts twice. Every length the operator
// checks against a CRD limit, or clips to one, is counted the API server's way, so nothing the
// API server admitted is refused for its length and nothing written is refused either.

/** Code points in `text`; a lone surrogate counts as one, as Go counts its replacement. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** The longest prefix of `text` with at most `max` code points, never splitting a surrogate pair. */
export function clipCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (count === max) return text.slice(0, i);
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return text;
}
