import { assert, describe, it } from "@effect/vitest"
import { render, type ResultTable } from "../../src/query/Format.js"

const fixture: ResultTable = {
  columns: ["id", "name", "tags", "count", "note"],
  rows: [
    ["c1", "Acme, Inc.", "[\"eu\",\"billing\"]", 3, null],
    ["c2", "She said \"hi\"", "[]", 10, "line one\nline two"],
    ["c3", "Zürich 東京", "[\"ü\"]", 0, ""]
  ]
}

describe("Format.render", () => {
  it("writes RFC 4180 CSV: CRLF, quotes doubled, commas and newlines quoted, NULL empty", () => {
    assert.strictEqual(
      render(fixture, "csv"),
      "id,name,tags,count,note\r\n" +
        "c1,\"Acme, Inc.\",\"[\"\"eu\"\",\"\"billing\"\"]\",3,\r\n" +
        "c2,\"She said \"\"hi\"\"\",[],10,\"line one\nline two\"\r\n" +
        "c3,Zürich 東京,\"[\"\"ü\"\"]\",0,\r\n"
    )
  })

  it("doubles the quotes of a CSV field larger than the output buffer, among characters of several bytes", () => {
    const field = "ü\"東,".repeat(40_000)
    assert.strictEqual(render({ columns: ["a"], rows: [[field]] }, "csv"), `a\r\n"${field.replaceAll("\"", "\"\"")}"\r\n`)
  })

  it("writes JSON with numbers as numbers, JSON arrays as arrays and NULL as null", () => {
    const parsed = JSON.parse(render(fixture, "json"))
    assert.deepStrictEqual(parsed, [
      { id: "c1", name: "Acme, Inc.", tags: ["eu", "billing"], count: 3, note: null },
      { id: "c2", name: "She said \"hi\"", tags: [], count: 10, note: "line one\nline two" },
      { id: "c3", name: "Zürich 東京", tags: ["ü"], count: 0, note: "" }
    ])
  })

  it("writes one JSON object a line for NDJSON", () => {
    assert.strictEqual(
      render(fixture, "ndjson"),
      "{\"id\":\"c1\",\"name\":\"Acme, Inc.\",\"tags\":[\"eu\",\"billing\"],\"count\":3,\"note\":null}\n" +
        "{\"id\":\"c2\",\"name\":\"She said \\\"hi\\\"\",\"tags\":[],\"count\":10,\"note\":\"line one\\nline two\"}\n" +
        "{\"id\":\"c3\",\"name\":\"Zürich 東京\",\"tags\":[\"ü\"],\"count\":0,\"note\":\"\"}\n"
    )
  })

  it("writes JSON and NDJSON exactly as JSON.stringify writes the rows' objects, whatever the columns and values", () => {
    // Integer-like names come first, a repeated name keeps its first place and its last value, `__proto__` is a key.
    const awkward: ResultTable = {
      columns: ["2", "b", "1", "b", "__proto__", "n", "big", "bytes", "nested", "bad", "odd"],
      rows: [
        [
          1,
          "x",
          2,
          3,
          "p",
          0.1 + 0.2,
          9007199254740993n,
          new Uint8Array([0, 255, 16]),
          "{\"a\":[1,{\"b\":\"c\\u00e9\"}],\"d\":{}}",
          "[bad",
          "\u0001\u2028\"\\"
        ],
        [null, null, -0, null, null, Number.POSITIVE_INFINITY, 12n, null, "[ 1e2 , \"\\n\" ]", "{", ""]
      ]
    }
    const objects = [
      {
        "1": 2,
        "2": 1,
        b: 3,
        ["__proto__"]: "p",
        n: 0.1 + 0.2,
        big: "9007199254740993",
        bytes: "AP8Q",
        nested: { a: [1, { b: "cé" }], d: {} },
        bad: "[bad",
        odd: "\u0001\u2028\"\\"
      },
      { "1": -0, "2": null, b: null, ["__proto__"]: null, n: null, big: 12, bytes: null, nested: [100, "\n"], bad: "{", odd: "" }
    ]
    assert.strictEqual(render(awkward, "json"), `${JSON.stringify(objects, null, 2)}\n`)
    assert.strictEqual(render(awkward, "ndjson"), objects.map((object) => `${JSON.stringify(object)}\n`).join(""))
  })

  it("aligns a table, right-aligns numbers, marks NULL and cuts long cells with an ellipsis", () => {
    assert.strictEqual(
      render(fixture, "table", { maxWidth: 12 }),
      [
        "id  name          tags          count  note",
        "──  ────────────  ────────────  ─────  ────────────",
        "c1  Acme, Inc.    [\"eu\",\"bill…      3  NULL",
        "c2  She said \"h…  []               10  line one⏎li…",
        "c3  Zürich 東京   [\"ü\"]             0",
        "(3 rows)",
        ""
      ].join("\n")
    )
  })

  it("renders an empty result in every format", () => {
    const empty: ResultTable = { columns: ["a"], rows: [] }
    assert.strictEqual(render(empty, "csv"), "a\r\n")
    assert.strictEqual(render(empty, "json"), "[]\n")
    assert.strictEqual(render(empty, "ndjson"), "")
    assert.strictEqual(render(empty, "table"), "a\n─\n(0 rows)\n")
  })
})
