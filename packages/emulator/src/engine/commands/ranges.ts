/**
 * Redis' rank window (LRANGE, ZRANGE by rank): negative indexes count from the end, the start is
 * clamped to 0 and the stop to the last element. Returns `slice` bounds, or null for an empty range.
 */
export function rankWindow(startArg: bigint, stopArg: bigint, length: number): { start: number; end: number } | null {
  const size = BigInt(length);
  let start = startArg < 0n ? startArg + size : startArg;
  let stop = stopArg < 0n ? stopArg + size : stopArg;
  if (start < 0n) start = 0n;
  if (start > stop || start >= size) return null;
  if (stop >= size) stop = size - 1n;
  return { start: Number(start), end: Number(stop) + 1 };
}
