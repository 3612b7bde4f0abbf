/**
 * Exponential backoff with full jitter: after the n-th failure in a row (n from 1) wait a uniformly random time
 * between 0 and min(cap, base·2^(n−1)). Full jitter spreads a depot's devices out when coverage comes back for
 * all of them at once; there is no limit on attempts.
 */
export function fullJitterDelay(failures: number, baseMs: number, capMs: number, random: () => number): number {
  if (failures < 1) return 0
  // 2^30 already dwarfs any cap; clamping the exponent keeps the arithmetic finite after days offline.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 30))
  return Math.floor(random() * ceiling)
}
