import { RUNS } from "./Settings.js"

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const at = (index: number) => sorted[index] ?? Number.NaN
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2
}

export const medianOf = <A>(runs: ReadonlyArray<A>, pick: (run: A) => number | undefined) =>
  median(runs.map(pick).filter((value): value is number => value !== undefined))

export const number = new Intl.NumberFormat("en-US")
export const seconds = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`
export const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`
export const ratio = (value: number) => `${value.toFixed(2)}x`
export const rate = (rows: number, ms: number) => `${number.format(Math.round((rows * 1000) / ms))} rows/s`
export const verdict = (ok: boolean) => (ok ? "**met**" : "**not met**")

/** Runs `once` a warm-up time and then `runs` times; returns the measured runs. */
export const repeat = async <A>(label: string, once: (run: number) => Promise<A>, runs = RUNS): Promise<Array<A>> => {
  process.stderr.write(`${label}: warm-up`)
  await once(0)
  const results: Array<A> = []
  for (let run = 1; run <= runs; run++) {
    process.stderr.write(` ${run}`)
    results.push(await once(run))
  }
  process.stderr.write("\n")
  return results
}
