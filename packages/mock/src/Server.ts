import { Either } from "effect"
import type * as http from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import * as Admin from "./Admin.js"
import * as ApiError from "./ApiError.js"
import * as Compat from "./Compat.js"
import type { Connection } from "./Connection.js"
import * as Connectors from "./Connectors.js"
import type * as Faults from "./Faults.js"
import * as Http from "./Http.js"
import type * as Limiter from "./Limiter.js"
import * as Page from "./Page.js"
import * as Query from "./Query.js"
import * as RateLimitHeaders from "./RateLimitHeaders.js"
import type { State } from "./State.js"

const connectionsPath = "/v1/vault/connections"
const connectorsPath = "/v1/available-connectors"

const invalid = (error: Query.InvalidParameter): Http.Reply =>
  Http.json(400, ApiError.badRequest(error.message, { param: error.param }))

const unknownConnection = (id: string): Http.Reply =>
  Http.json(404, ApiError.notFound(`Connection ${id} not found`))

/** A row as this deployment serialises it. */
const present = (state: State, row: Connection): unknown =>
  state.compat.legacyShape ? Compat.legacyRow(row) : row

const envelope = (state: State, page: Page.Page<unknown>, query: Query.Paging): Record<string, unknown> => {
  const body = { rows: page.rows, total: page.total, pages: Page.pageCount(page.total, query.countedBy), page: query.page }
  return state.config.legacyEnvelope ? { type: "Vault Connections", ...body } : body
}

/** Drops the middle row, as the real server drops rows whose connector definition is missing. */
const withoutOneRow = <A>(rows: ReadonlyArray<A>): ReadonlyArray<A> => {
  const dropped = Math.floor(rows.length / 2)
  return [...rows.slice(0, dropped), ...rows.slice(dropped + 1)]
}

const listConnections = (state: State, url: URL, decision: Faults.Decision): Http.Reply => {
  const parsed = Query.listConnections(url.searchParams, state.pageCap)
  if (Either.isLeft(parsed)) return invalid(parsed.left)
  const query = parsed.right
  const page = state.inventory.list(query.filter, query.offset, query.limit)
  const truncate = page.rows.length > 0 &&
    (decision.truncate || (!decision.scripted && state.faults.truncateListing(query.page)))
  const rows = (truncate ? withoutOneRow(page.rows) : page.rows).map((row) => present(state, row))
  const body = JSON.stringify(envelope(state, { rows, total: page.total }, query))
  // The page is already serialized, so the drift only shows from the next request on.
  const drift = state.faults.driftAfter(query.page)
  if (drift !== undefined) {
    state.inventory.drift(query.filter.active, {
      insert: drift.insert ?? 0,
      delete: drift.delete ?? 0,
      update: drift.update ?? 0
    })
  }
  const faults = [truncate ? "truncate" : undefined, drift !== undefined ? "drift" : undefined].filter((f) => f !== undefined)
  return { status: 200, body, fault: faults.length === 0 ? undefined : faults.join(",") }
}

const listConnectors = (state: State, url: URL): Http.Reply => {
  const parsed = Query.listConnectors(url.searchParams, state.pageCap)
  if (Either.isLeft(parsed)) return invalid(parsed.left)
  const query = parsed.right
  return Http.json(200, envelope(state, Connectors.list(query.filter, query.offset, query.limit), query))
}

const patchConnection = async (state: State, req: http.IncomingMessage, id: string): Promise<Http.Reply> => {
  const body = await Http.readJson(req)
  const tags = typeof body === "object" && body !== null ? (body as { readonly tags?: unknown }).tags : undefined
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === "string")) {
    return Http.json(400, ApiError.badRequest("Body must be a JSON object { \"tags\": string[] }"))
  }
  return Either.match(state.inventory.update(id, { tags }), {
    onLeft: () => unknownConnection(id),
    onRight: (row) => state.compat.patchAnswer === "empty" ? Http.empty(200) : Http.json(200, present(state, row))
  })
}

const getConnection = (state: State, id: string): Http.Reply => {
  // The open backend has no such route; its router answers 405 with an empty body.
  if (!state.compat.getById) return Http.empty(405, { allow: "PATCH,DELETE" })
  const row = state.inventory.get(id)
  return row === undefined ? unknownConnection(id) : Http.json(200, present(state, row))
}

const route = async (state: State, req: http.IncomingMessage, url: URL, decision: Faults.Decision): Promise<Http.Reply> => {
  if (req.headers[state.config.authHeader] !== state.config.secret) return Http.json(401, ApiError.unauthorized)
  const path = url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname
  if (path === connectionsPath && req.method === "GET") return listConnections(state, url, decision)
  if (path === connectorsPath && req.method === "GET") return listConnectors(state, url)
  if (path.startsWith(`${connectionsPath}/`) && !path.slice(connectionsPath.length + 1).includes("/")) {
    const id = decodeURIComponent(path.slice(connectionsPath.length + 1))
    switch (req.method) {
      case "GET":
        return getConnection(state, id)
      case "PATCH":
        return patchConnection(state, req, id)
      case "DELETE":
        return Either.isLeft(state.inventory.remove(id)) ? unknownConnection(id) : Http.json(200, {})
    }
  }
  return Http.json(404, ApiError.routeNotFound)
}

/** The limiter's 429, with the real body; `Retry-After` only when configured. */
const tooManyRequests = (count: Limiter.Count): Http.Reply => ({
  ...Http.json(429, ApiError.tooManyRequests),
  headers: count.retryAfter === undefined ? {} : { "retry-after": String(count.retryAfter) }
})

/**
 * What the rate-limit headers say: a rate-limit fault's bucket wins (it plays a
 * proxy in front), then the limiter, then "unlimited".
 */
const rateLimitStatus = (
  state: State,
  secret: string,
  counted: Limiter.Count | undefined,
  now: number
): RateLimitHeaders.Status =>
  state.faults.bucketStatus(now) ?? counted?.status ?? state.limiter.peek(secret, now) ?? RateLimitHeaders.unlimited

const serveApi = async (state: State, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
  const time = new Date().toISOString()
  const arrived = performance.now()
  const decision = state.faults.decide(arrived)
  const presented = req.headers[state.config.authHeader]
  const secret = typeof presented === "string" ? presented : ""
  // Counted on arrival, so concurrent requests share one window; scripted ones bypass it like every fault.
  const counted = presented === state.config.secret && !decision.scripted ? state.limiter.count(secret, arrived) : undefined
  if (decision.delayMs > 0) await sleep(decision.delayMs)
  const reply = decision.injected ??
    (counted?.limited === true ? tooManyRequests(counted) : await route(state, req, url, decision))
  const status = rateLimitStatus(state, secret, counted, performance.now())
  const served = decision.reset === undefined ? status : { ...status, remaining: 0, reset: decision.reset }
  Http.send(res, reply, RateLimitHeaders.headers(state.config.rateLimitHeaderPrefix, served), decision.cut)
  const fault = [decision.fault, reply.fault].filter((f) => f !== undefined).join(",")
  state.log.add({
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    status: reply.status,
    time,
    remaining: served.remaining,
    ...(counted === undefined ? {} : { window: counted.window }),
    ...(fault === "" ? {} : { fault })
  })
}

/** The node:http request listener: admin routes under `/__admin`, the API everywhere else. */
export const handler = (state: State) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
  const url = new URL(req.url ?? "/", "http://mock.invalid")
  const served = url.pathname === Admin.prefix || url.pathname.startsWith(`${Admin.prefix}/`)
    ? Admin.handle(
      state,
      req,
      res,
      url,
      RateLimitHeaders.headers(
        state.config.rateLimitHeaderPrefix,
        rateLimitStatus(state, state.config.secret, undefined, performance.now())
      )
    )
    : serveApi(state, req, res, url)
  served.catch((error: unknown) => {
    // A bug in the mock must still answer, or the client under test would hang.
    if (!res.headersSent) Http.send(res, Http.json(500, ApiError.internal), {})
    else res.destroy()
    console.error("@picasync/mock: request failed", error)
  })
}
