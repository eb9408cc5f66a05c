import { z } from 'zod';
import { resumeRequestStatusSchema, describeIssues } from '../../src/api/resume-request.js';
import * as syntax from '../../src/api/syntax.js';
import { codePointLength } from '../../src/api/text-length.js';
import { clipText, fitStatus } from '../../src/controller/status-limits.js';
import { statusPatch } from '../../src/controller/status-writer.js';
import { largestSpec, largestStatus, storedBytes } from '../fixtures/resume-request-cases.js';

const fitsTheCrd = (status: unknown) => {
  const parsed = resumeRequestStatusSchema.safeParse(status);
  return parsed.success ? 'fits' : describeIssues(parsed.error as z.ZodError, 'status');
};

describe('statuses fitted to the CRD limits', () => {
  const overflowing = {
    phase: 'Failed' as const,
    reason: 'AmbiguousTaskId',
    message: Array.from({ length: 100 }, (_, i) => `PR label "task-${i}" → ${i}`)
      .join(', ')
      .repeat(4),
    lastError: '😀'.repeat(syntax.MESSAGE_MAX + 1),
    candidates: Array.from({ length: 120 }, (_, i) => `play-${i}`),
    validationErrors: Array.from({ length: 60 }, (_, i) => `rule ${i} ${'x'.repeat(5000)}`),
    retryDelays: Array.from({ length: 70 }, (_, i) => `${i}s`),
  };

  it('is refused by the schema before fitting and accepted after', () => {
    expect(fitsTheCrd(overflowing)).not.toBe('fits');
    expect(fitsTheCrd(fitStatus(overflowing))).toBe('fits');
  });

  it('says what was left out', () => {
    const fitted = fitStatus(overflowing);
    expect(fitted.message!.endsWith('…')).toBe(true);
    expect(codePointLength(fitted.lastError!)).toBe(syntax.MESSAGE_MAX);
    expect(fitted.candidates).toHaveLength(syntax.STATUS_LIST_MAX_ITEMS);
    expect(fitted.candidates!.at(-1)).toBe('… and 71 more');
    expect(fitted.validationErrors).toHaveLength(syntax.VALIDATION_ERRORS_MAX_ITEMS);
    expect(fitted.validationErrors!.at(-1)).toBe('… and 41 more');
    expect(codePointLength(fitted.validationErrors![0]!)).toBe(syntax.STATUS_ITEM_MAX);
    expect(fitted.retryDelays).toEqual(overflowing.retryDelays.slice(-syntax.STATUS_LIST_MAX_ITEMS));
  });

  it('stays, at its largest, within what a request may add to what etcd stores', () => {
    const largest = largestStatus();
    expect(fitsTheCrd(largest)).toBe('fits');
    expect(largest.validationErrors).toHaveLength(syntax.VALIDATION_ERRORS_MAX_ITEMS);
    expect(storedBytes({ status: largest })).toBeLessThan(400 * 1024);
    // With the largest spec, both together leave etcd's 1.5 MiB most of a megabyte for metadata.
    expect(storedBytes({ spec: largestSpec, status: largest })).toBeLessThan(800 * 1024);
  });

  it('leaves a status within the limits unchanged', () => {
    const small = { phase: 'Succeeded' as const, reason: 'Resumed', message: 'ok 😀', candidates: ['a'] };
    expect(fitStatus(small)).toEqual(small);
  });

  it('never splits a surrogate pair', () => {
    expect(clipText('a😀😀', 2)).toBe('a…');
    expect(clipText('😀😀😀', 3)).toBe('😀😀😀');
  });

  it('is applied to every status patch', () => {
    const request = {
      apiVersion: 'v',
      kind: 'ResumeRequest',
      metadata: { name: 'r', namespace: 'n', resourceVersion: '7' },
      spec: { taskId: '1' },
    };
    const patch = statusPatch(request, overflowing) as { status: unknown };
    expect(fitsTheCrd(patch.status)).toBe('fits');
  });
});
