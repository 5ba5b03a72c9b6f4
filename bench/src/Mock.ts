import * as Processes from "@picasync/testing/Processes"
import { type ChildProcess, spawn } from "node:child_process"
import { mockBin } from "./Settings.js"

/** The mock in its own process, so its CPU and memory are never counted as the sync's. */
export interface Mock {
  readonly url: string
  readonly process: ChildProcess
}

export interface Limiter {
  readonly limit: number
  readonly windowMs: number
}

const mocks: Array<Mock> = []

/** `--no-limiter` unless a scenario asks for the limiter: the others measure the sync, not the limiter's windows. */
const limiterFlags = (limiter: Limiter | undefined) =>
  limiter === undefined ? ["--no-limiter"] : ["--limiter", `${limiter.limit}/${limiter.windowMs}ms`]

/** A mock of `count` connections on a free port; the real service's limiter only when given one. */
export const start = (count: number, extra: ReadonlyArray<string> = [], limiter?: Limiter) =>
  new Promise<Mock>((resolve, reject) => {
    const args = [mockBin, "--port", "0", "--count", String(count), ...limiterFlags(limiter), ...extra]
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url !== undefined) {
        child.stdout.removeAllListeners("data")
        child.stdout.resume()
        const mock = { url, process: child }
        mocks.push(mock)
        resolve(mock)
      }
    })
    child.once("exit", (code) => reject(new Error(`the mock exited (${code}) before listening`)))
  })

export const stop = (mock: Mock) => Processes.stop(mock.process, "SIGTERM")

/** Kills every mock still running, when the bench ends however it ends. */
export const killAll = () => {
  for (const mock of mocks) if (mock.process.exitCode === null) mock.process.kill("SIGKILL")
}

/** One of the mock's control routes (loopback, no auth, never limited or logged); its JSON answer. */
export const admin = async (mock: Mock, method: string, resource: string, body?: unknown): Promise<unknown> => {
  const response = await fetch(`${mock.url}/__admin/${resource}`, { method, body: body === undefined ? null : JSON.stringify(body) })
  if (!response.ok) throw new Error(`the mock's ${method} /__admin/${resource} answered ${response.status}`)
  return response.json()
}
