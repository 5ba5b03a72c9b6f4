import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ConnectionsPage from "../src/ConnectionsPage.js"
import { readBody, statusError } from "../src/ReadResponse.js"

const readPage = readBody(ConnectionsPage.read)

const attempt = { method: "GET", url: "http://127.0.0.1:1/v1/vault/connections", attempts: 1 }
const answer = (status: number, body = "", headers: Record<string, string> = {}) => ({ status, headers, body })
const unauthorized = JSON.stringify({
  type: "Unauthorized",
  code: 2010,
  status: 401,
  key: "err::application::unauthorized",
  message: "You are not authorized to access this resource",
  meta: null
})

describe("ReadResponse", () => {
  it("maps each status to its error tag", () => {
    const tags = [401, 403, 404, 405, 400, 422, 408, 429, 500, 501, 502, 503, 504].map((status) =>
      statusError(attempt, answer(status), 0)._tag
    )
    assert.deepStrictEqual(tags, [
      "PicaAuthError",
      "PicaAuthError",
      "PicaNotFoundError",
      "PicaUnsupportedError",
      "PicaBadRequestError",
      "PicaBadRequestError",
      "PicaTransportError",
      "PicaRateLimitError",
      "PicaServerError",
      "PicaUnsupportedError",
      "PicaServerError",
      "PicaServerError",
      "PicaServerError"
    ])
  })

  it("keeps the server's message and code, and trusts the HTTP status over the body's", () => {
    const error = statusError(attempt, answer(401, unauthorized), 0)
    assert.strictEqual(error.status, 401)
    assert.strictEqual(error.serverCode, 2010)
    assert.strictEqual(error.serverMessage, "You are not authorized to access this resource")
    assert.strictEqual(statusError(attempt, answer(502, JSON.stringify({ status: 500 })), 0).status, 502)
  })

  it("reads `{error}` bodies and survives HTML or empty ones", () => {
    assert.strictEqual(statusError(attempt, answer(500, "{\"error\":\"boom\"}"), 0).serverMessage, "boom")
    assert.isUndefined(statusError(attempt, answer(502, "<html>Bad gateway</html>"), 0).serverMessage)
    assert.isUndefined(statusError(attempt, answer(503), 0).serverMessage)
  })

  it("carries the wait a 429 asks for", () => {
    const error = statusError(attempt, answer(429, "", { "retry-after": "7", "x-pica-rate-limit-reset": "60" }), 0)
    assert.strictEqual(error._tag === "PicaRateLimitError" && error.retryAfterMillis, 7000)
    assert.strictEqual(error._tag === "PicaRateLimitError" && error.resetMillis, 60_000)
  })

  it("names the first offending field of a body that is not a page", () => {
    const body = JSON.stringify({ rows: [{ id: "a" }], total: -1, pages: 1, page: 1 })
    const result = readPage(attempt, answer(200, body))
    assert.isTrue(Either.isLeft(result) && result.left.path === "total")
  })

  it("keeps a row it cannot read beside the page, named as PicaDecodeError would", () => {
    const body = JSON.stringify({ rows: [{ id: "a" }], total: 1, pages: 1, page: 1 })
    const page = Either.getOrThrow(readPage(attempt, answer(200, body)))
    assert.deepStrictEqual(page.unreadable.map((row) => [row.id, row.path]), [["a", "rows[0].key"]])
  })

  it("reports a body that is not JSON", () => {
    const result = readPage(attempt, answer(200, "<!doctype html><p>502</p>"))
    assert.isTrue(Either.isLeft(result) && result.left.path === "body" && result.left.reason.includes("not JSON"))
  })
})
