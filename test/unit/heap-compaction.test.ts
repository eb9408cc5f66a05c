import { jest } from '@jest/globals';
import { compactHeap } from '../../src/runtime/heap-compaction.js';

describe('compactHeap', () => {
  it('asks for one synchronous, memory-reducing full collection', () => {
    const collect = jest.fn();
    expect(compactHeap(collect as unknown as NodeJS.GCFunction)).toBe(true);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(collect).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  });

  it('does nothing when the process was started without --expose-gc', () => {
    expect(compactHeap(undefined)).toBe(false);
  });
});
