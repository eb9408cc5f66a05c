// Filling the caches parses every listed object whole before projecting it, so the old
// generation grows to several times what the caches keep, and V8's memory reducer gives those
// pages back late or not at all: with 10,000 cached workflows, 105 MiB committed for 41 MiB live.
// One last-resort collection (full, compacting, memory-reducing) once the caches have synced
// returns them. It blocks for tens of milliseconds, before any reconcile runs. A relist after
// 410 Gone parses everything again and is followed by one too (controller/manager.ts), where the
// pause is the price of not carrying the relist's pages until the next restart.

/**
 * Compacts the heap once, with the collector --expose-gc provides (src/node-flags.ts); false,
 * and nothing done, when the process was started without it.
 */
export function compactHeap(collect: NodeJS.GCFunction | undefined = globalThis.gc): boolean {
  if (!collect) return false;
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
