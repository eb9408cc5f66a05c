// Bounded concurrency: runs `task` over `items` with at most `limit` in flight, in order of
// the items, and fails as soon as one task fails (the others already started run to their end).
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!(Number.isInteger(limit) && limit >= 1))
    throw new RangeError(`pool limit ${limit} is not a positive integer`);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
