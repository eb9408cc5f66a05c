import { eventName } from '../../src/runtime/event-name.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('Event names', () => {
  it('are the object name and a unique suffix when they fit', () => {
    expect(eventName('gh-72d3162e')).toMatch(/^gh-72d3162e\.[0-9a-f]{16}$/);
    expect(eventName('gh-72d3162e')).not.toBe(eventName('gh-72d3162e'));
  });

  it.each([
    ['a name of 253 characters', 'a'.repeat(253)],
    ['a name whose prefix ends in a dash', `${'a'.repeat(218)}-${'b'.repeat(34)}`],
    ['a name whose prefix ends in a dot', `${'a'.repeat(218)}.${'b'.repeat(34)}`],
    ['a name just too long for a suffix', 'c'.repeat(237)],
  ])('are valid names for %s', (_what, name) => {
    const event = eventName(name);
    expect(event.length).toBeLessThanOrEqual(253);
    expect(event).toMatch(DNS_SUBDOMAIN);
  });

  it('tell long names apart that share a prefix', () => {
    const a = eventName(`${'a'.repeat(240)}-one`).split('.')[1];
    const b = eventName(`${'a'.repeat(240)}-two`).split('.')[1];
    expect(a).not.toBe(b);
  });
});
