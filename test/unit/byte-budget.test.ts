// The byte budget behind the workflow cache: per namespace and in total, a key holds one charge.
import { ByteBudget } from '../../src/runtime/byte-budget.js';

describe('ByteBudget', () => {
  it('charges each key once, replacing its charge, within the group and total limits', () => {
    const budget = new ByteBudget({ total: 500, perGroup: 300 });
    expect(budget.charge('a/1', 'a', 200)).toEqual({ ok: true });
    expect(budget.charge('a/1', 'a', 250)).toEqual({ ok: true });
    expect(budget.used('a')).toBe(250);
    const refused = budget.charge('a/2', 'a', 100);
    expect(refused).toEqual({ ok: false, message: expect.stringContaining('namespace a take 250 bytes') });
    expect(budget.charge('b/1', 'b', 250)).toEqual({ ok: true });
    expect(budget.charge('c/1', 'c', 10)).toEqual({
      ok: false,
      message: expect.stringContaining('all namespaces take 500 bytes'),
    });
    expect(budget.used()).toBe(500);
  });

  it('releases a key refused in place of what it held, and counts every freeing', () => {
    const budget = new ByteBudget({ total: 1000, perGroup: 300 });
    budget.charge('a/1', 'a', 200);
    const freed = budget.freedCount;
    expect(budget.charge('a/1', 'a', 400).ok).toBe(false);
    expect(budget.used('a')).toBe(0);
    expect(budget.freedCount).toBe(freed + 1);
    budget.charge('a/1', 'a', 100);
    budget.charge('a/1', 'a', 50);
    expect(budget.freedCount).toBe(freed + 2);
    budget.release('a/1');
    budget.release('a/1');
    expect(budget.used()).toBe(0);
    expect(budget.freedCount).toBe(freed + 3);
  });
});
