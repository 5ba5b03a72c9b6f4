import type { Reporter } from "vitest/node"

interface Figures {
  readonly scenarios: number
  readonly faults: number
  readonly crashes: number
  readonly rowsLost: number
}

const areas = ["faults", "crashes", "concurrency", "storage", "hostile input", "secrets"]
const number = new Intl.NumberFormat("en-US")

/**
 * Sums the `reliability {json}` lines the reliability tests print (one per file, from `afterAll`)
 * by area, and prints one line per area once the run is over.
 */
export default class ReliabilityFigures implements Reporter {
  private readonly figures = new Map<string, Figures>()
  private readonly seeds = new Set<number>()

  onUserConsoleLog(log: { readonly content: string }) {
    for (const line of log.content.split("\n")) {
      if (!line.startsWith("reliability {")) continue
      const { area, seed, ...counted } = JSON.parse(line.slice("reliability ".length))
      const sum = this.figures.get(area) ?? { scenarios: 0, faults: 0, crashes: 0, rowsLost: 0 }
      this.figures.set(area, {
        scenarios: sum.scenarios + counted.scenarios,
        faults: sum.faults + counted.faults,
        crashes: sum.crashes + counted.crashes,
        rowsLost: sum.rowsLost + counted.rowsLost
      })
      if (typeof seed === "number") this.seeds.add(seed)
    }
  }

  // After the default reporter's summary, so the figures close the run.
  onFinished() {
    if (this.figures.size === 0) return
    const level = process.env.PICASYNC_RELIABILITY === "full" ? "full" : "bounded"
    const lines = [`Reliability (${level}, seed ${[...this.seeds].join(", ")})`]
    const ordered = [...areas.filter((area) => this.figures.has(area)), ...[...this.figures.keys()].filter((a) => !areas.includes(a))]
    for (const area of ordered) {
      const f = this.figures.get(area)!
      lines.push(
        `  ${area.padEnd(14)} ${number.format(f.scenarios).padStart(6)} scenarios · ${number.format(f.faults).padStart(6)} faults injected · ${
          number.format(f.crashes).padStart(3)
        } crashes survived · ${number.format(f.rowsLost)} rows lost`
      )
    }
    process.stdout.write(`\n${lines.join("\n")}\n`)
  }
}
