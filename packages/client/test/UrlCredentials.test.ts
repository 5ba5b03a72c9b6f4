import { assert, describe, it } from "@effect/vitest"
import * as UrlCredentials from "../src/UrlCredentials.js"

describe("UrlCredentials", () => {
  it("redact shows the user and password of any URL, and tokens of a query string, as ***", () => {
    assert.strictEqual(
      UrlCredentials.redact("Request cannot be constructed from a URL that includes credentials: https://user:s3cret@db.example.com/v2/pipeline"),
      "Request cannot be constructed from a URL that includes credentials: https://***@db.example.com/v2/pipeline"
    )
    assert.strictEqual(UrlCredentials.redact("libsql://db.example.com?authToken=abc&tls=1"), "libsql://db.example.com?authToken=***&tls=1")
    assert.strictEqual(UrlCredentials.redact("http://127.0.0.1:4318/v1/traces?limit=100&page=2"), "http://127.0.0.1:4318/v1/traces?limit=100&page=2")
  })

  it("secrets are the password, as written and decoded, and the query's tokens", () => {
    assert.deepStrictEqual(UrlCredentials.secrets("http://u:p%40ss@h/x?authToken=t0k&tls=0"), ["p%40ss", "p@ss", "t0k"])
    assert.deepStrictEqual(UrlCredentials.secrets("http://h/x"), [])
  })

  it("split takes the user and password out as a Basic header value", () => {
    assert.deepStrictEqual(UrlCredentials.split("http://admin:p%40ss@api.example.com:8080/pica"), {
      url: "http://api.example.com:8080/pica",
      authorization: `Basic ${Buffer.from("admin:p@ss").toString("base64")}`
    })
    assert.deepStrictEqual(UrlCredentials.split("https://api.picaos.com"), { url: "https://api.picaos.com", authorization: undefined })
  })
})
