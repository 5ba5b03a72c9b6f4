import { afterAll } from "@effect/vitest"
import { isDeepStrictEqual } from "node:util"

/** `PICASYNC_RELIABILITY=full` (what `pnpm test:reliability` sets) raises every count; `pnpm test` runs the bounded suite. */
export const full = process.env.PICASYNC_RELIABILITY === "full"

/** `bounded` in `pnpm test`, `whenFull` in the full suite. */
export const scaled = <A>(bounded: A, whenFull: A): A => (full ? whenFull : bounded)

/**
 * The seed every random choice of the suite derives from: fixed for the bounded suite, new for each
 * full run. Printed with the figures and in every scenario's name; `PICASYNC_RELIABILITY_SEED=<n>` replays a run.
 */
export const baseSeed = Number(process.env.PICASYNC_RELIABILITY_SEED ?? (full ? Date.now() % 1_000_000_007 : 7))

/** A small seeded generator (mulberry32), so a recorded seed replays the same choices. */
export const random = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (below: number) => Math.floor(next() * below) }
}

export interface Figures {
  scenarios: number
  faults: number
  crashes: number
  rowsLost: number
}

/**
 * The figures of one area, counted by its tests and printed once the file is done as a
 * `reliability {json}` line, which the root reporter (`vitest.reliability.ts`) sums per area.
 */
export const figures = (area: string): Figures => {
  const tally: Figures = { scenarios: 0, faults: 0, crashes: 0, rowsLost: 0 }
  afterAll(() => console.log(`reliability ${JSON.stringify({ area, seed: baseSeed, ...tally })}`))
  return tally
}

/** How many ids differ between two `id → row` maps: missing on either side or with other content. */
export const rowsDiffering = (expected: ReadonlyMap<string, unknown>, actual: ReadonlyMap<string, unknown>): number => {
  let differing = 0
  for (const [id, row] of expected) {
    if (!actual.has(id) || !isDeepStrictEqual(actual.get(id), row)) differing++
  }
  for (const id of actual.keys()) if (!expected.has(id)) differing++
  return differing
}
