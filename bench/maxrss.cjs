// Preloaded into a measured process (`node --require`): writes its peak resident set size, in KiB,
// to the file named by BENCH_MAXRSS_FILE when it exits, however it exits.
const fs = require("node:fs")

process.on("exit", () => {
  if (process.env.BENCH_MAXRSS_FILE) fs.writeFileSync(process.env.BENCH_MAXRSS_FILE, String(process.resourceUsage().maxRSS))
})
