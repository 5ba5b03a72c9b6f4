#!/usr/bin/env node
/**
 * What the `picasync` bin runs (`dist/bin.js`). `--version` is answered from `package.json` without
 * loading the CLI. The commands that only read the mirror load the smaller `dist/readers.cjs` (built from
 * `readers.ts`), every other command the whole CLI bundle (`dist/cli.cjs`, built from `bin.ts`), each
 * through V8's code cache, kept per user: a command then starts without compiling 3 MB of JavaScript.
 * The cache is only an optimisation: one that is missing, stale, unreadable or unwritable costs
 * a normal start, never a failed command.
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as vm from "node:vm"
import * as ReaderCommands from "./cli/ReaderCommands.js"
import { packageVersion } from "./PackageVersion.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const bundleName = ReaderCommands.names.includes(process.argv[2] ?? "") ? "readers" : "cli"
const bundle = path.join(here, `${bundleName}.cjs`)

/** `PICASYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/picasync`, else `~/.cache/picasync`. */
const cacheDirectory = (): string =>
  process.env.PICASYNC_CACHE_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "picasync")

/** Read, or undefined when there is none yet (or it cannot be read: the CLI then compiles as usual). */
const readCache = (file: string): Buffer | undefined => {
  try {
    return fs.readFileSync(file)
  } catch {
    return undefined
  }
}

/** Removes half a cache a full disk left; one that cannot be removed is left to the next write of the same name. */
const removeQuietly = (file: string) => {
  try {
    fs.rmSync(file, { force: true })
  } catch {
    // The directory is not writable: nothing could have been written into it either.
  }
}

/**
 * Written through a temporary file and a rename, so a concurrent start never reads half a cache; the
 * caches of earlier builds for this Node are removed, so upgrades do not pile them up.
 */
const writeCache = (file: string, data: Buffer, build: string) => {
  const temporary = `${file}.${process.pid}.tmp`
  try {
    const directory = path.dirname(file)
    fs.mkdirSync(directory, { recursive: true })
    fs.writeFileSync(temporary, data)
    fs.renameSync(temporary, file)
    const node = `${bundleName}-${process.version}-${process.arch}-`
    for (const name of fs.readdirSync(directory)) {
      if (name.startsWith(node) && name.endsWith(".v8cache") && !name.startsWith(`${node}${build}-`)) {
        fs.rmSync(path.join(directory, name), { force: true })
      }
    }
  } catch {
    // A read-only home or a full disk: the next start compiles again, which is all a cache saves.
    removeQuietly(temporary)
  }
}

/** The command, for the cache's name: each command's cache holds the functions that command compiles. */
const command = (): string => {
  const name = process.argv[2] ?? ""
  return /^[a-z]+$/.test(name) ? name : "other"
}

const run = () => {
  // The shebang line is not JavaScript inside the CommonJS wrapper.
  const source = fs.readFileSync(bundle, "utf8").replace(/^#!.*/, "")
  // V8 checks only a cache's Node and the source's length, so the name tells builds apart: by version (an installed
  // package's files all carry one fixed mtime), and by the file's size and mtime (two builds of one version).
  const { size, mtimeMs } = fs.statSync(bundle)
  const build = `${packageVersion().replace(/[^\w.]/g, "_")}_${size}_${mtimeMs}`
  const cacheFile = path.join(cacheDirectory(), `${bundleName}-${process.version}-${process.arch}-${build}-${command()}.v8cache`)
  const cachedData = readCache(cacheFile)
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData
  })
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // Made at exit, so the cache also holds the functions this command compiled while it ran.
    process.once("exit", () => writeCache(cacheFile, script.createCachedData(), build))
  }
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, here)
}

if (process.argv.length === 3 && process.argv[2] === "--version") {
  process.stdout.write(`${packageVersion()}\n`)
} else {
  run()
}
