import { Effect } from "effect"
import type { MockPica } from "../src/index.js"

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

/** One request over real HTTP, with the server's secret unless `headers` says otherwise. */
export const call = (
  server: MockPica.MockPicaServer,
  path: string,
  init: { readonly method?: string; readonly body?: unknown; readonly headers?: Record<string, string> } = {}
): Effect.Effect<Answer, unknown> =>
  Effect.tryPromise({
    try: async () => {
      const response = await fetch(`${server.url}${path}`, {
        method: init.method ?? "GET",
        headers: { [server.authHeader]: server.secret, "content-type": "application/json", ...init.headers },
        ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) })
      })
      const text = await response.text()
      let json: unknown = undefined
      try {
        json = JSON.parse(text)
      } catch {
        // Non-JSON bodies (the HTML fault) are checked through `text`.
      }
      return { status: response.status, headers: response.headers, text, json }
    },
    catch: (error) => error
  })

/** Every page of a connections listing, following `pages`. */
export const listAll = (server: MockPica.MockPicaServer, query: Record<string, string>) =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    let total = -1
    for (let page = 1;; page++) {
      const answer = yield* call(server, `/v1/vault/connections?${new URLSearchParams({ ...query, page: String(page) })}`)
      total = answer.json.total
      ids.push(...answer.json.rows.map((row: { id: string }) => row.id))
      if (page >= answer.json.pages) break
    }
    return { ids, total }
  })
