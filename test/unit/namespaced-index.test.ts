import { NamespacedIndex } from '../../src/runtime/namespaced-index.js';

describe('NamespacedIndex', () => {
  it('finds keys by namespace and task, and moves a key whose task changes', () => {
    const index = new NamespacedIndex();
    index.set('ns/a', 'ns', '42');
    index.set('ns/b', 'ns', '42');
    index.set('other/c', 'other', '42');
    expect(index.keysFor('ns', '42').sort()).toEqual(['ns/a', 'ns/b']);
    expect(index.keysFor('other', '42')).toEqual(['other/c']);
    index.set('ns/a', 'ns', '43');
    expect(index.keysFor('ns', '42')).toEqual(['ns/b']);
    expect(index.keysFor('ns', '43')).toEqual(['ns/a']);
  });

  it('forgets removed keys and keys whose task is gone', () => {
    const index = new NamespacedIndex();
    index.set('ns/a', 'ns', '1');
    index.set('ns/b', 'ns', '1');
    index.remove('ns/a');
    index.set('ns/b', 'ns', undefined);
    expect(index.keysFor('ns', '1')).toEqual([]);
    index.remove('ns/never');
  });
});
