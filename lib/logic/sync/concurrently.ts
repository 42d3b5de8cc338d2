/**
 * Runs `work` on every item with at most `limit` running at once, in item order. Stops
 * starting new items once `shouldStop()` is true; items already started run to their end.
 * Rejects with the first error `work` throws (callers turn per-item failures into data
 * before they get here, so an error here stops the whole job).
 */
export async function concurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (next < items.length && !failure && !shouldStop()) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
}
