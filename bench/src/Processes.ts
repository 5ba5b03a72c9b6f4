import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { tools } from "./Settings.js"

/** The run's scratch directory: databases and RSS files, removed at the end. */
export const work = fs.mkdtempSync(path.join(os.tmpdir(), "picasync-bench-"))

export interface Measured {
  readonly ms: number
  /** Peak resident set size of the measured Node process, KiB (undefined for a shell pipeline). */
  readonly maxRssKiB: number | undefined
  readonly stdout: string
  /** Bytes written to stdout, kept or not. */
  readonly bytes: number
}

/**
 * Runs a command to completion, timing it from spawn to exit; a Node command reports its peak RSS. With `discard`, its
 * output is counted and dropped (an export of a million rows is a gigabyte).
 */
export const measure = (
  command: string,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: { readonly discard?: boolean } = {}
) =>
  new Promise<Measured>((resolve, reject) => {
    const rssFile = path.join(work, `rss-${process.hrtime.bigint()}`)
    const node = command === process.execPath
    const start = performance.now()
    const child = spawn(command, node ? ["--require", path.join(tools, "maxrss.cjs"), ...args] : args, {
      cwd: work,
      env: { ...process.env, ...env, BENCH_MAXRSS_FILE: rssFile },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let bytes = 0
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      bytes += chunk.length
      if (options.discard !== true) stdout += chunk
    })
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.once("exit", (code) => {
      const ms = performance.now() - start
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited ${code}\n${stderr.slice(-2000)}`))
      const maxRssKiB = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, "utf8")) : undefined
      fs.rmSync(rssFile, { force: true })
      resolve({ ms, maxRssKiB, stdout, bytes })
    })
  })

let databases = 0

/** A libSQL file in the scratch directory that no run has used. */
export const freshDatabase = () => {
  const file = path.join(work, `mirror-${++databases}.db`)
  return { file, url: `file:${file}` }
}

export const removeDatabase = (file: string) => {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) fs.rmSync(file + suffix, { force: true })
}

export const hasCommand = (command: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}
