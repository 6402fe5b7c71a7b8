/**
 * How long to wait before the next poll: the period after a good poll; after `failures` failed
 * polls in a row, the period doubled per failure up to `max`, spread by ±20% jitter so a fleet
 * that lost its Hydra together does not come back in lockstep.
 */
export function nextDelay(
  periodMs: number,
  failures: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return periodMs
  const base = Math.min(periodMs * 2 ** Math.min(failures - 1, 30), Math.max(maxMs, periodMs))
  const jitter = 0.8 + 0.4 * random()
  return Math.max(1, Math.round(base * jitter))
}
