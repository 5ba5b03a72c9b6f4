// Preloaded into a measured process (`node --require`): writes its peak resident set size, in KiB,
// to the file named by BENCH_MAXRSS_FILE when it exits, however it exits.
const fs = require("node:fs")

/**
 * Linux's VmHWM: this process's own peak since it started. getrusage's maxRSS is not: Linux carries it across exec
 * from the copy of the parent the process was forked from, so a bench process grown large shows in every child.
 */
const peakKiB = () => {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))
    if (match !== null) return match[1]
  } catch {
    // Not Linux: getrusage's figure is the best there is.
  }
  return String(process.resourceUsage().maxRSS)
}

process.on("exit", () => {
  if (process.env.BENCH_MAXRSS_FILE) fs.writeFileSync(process.env.BENCH_MAXRSS_FILE, peakKiB())
})
