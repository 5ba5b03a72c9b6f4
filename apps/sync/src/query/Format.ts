import { Bytes } from "./Bytes.js"
import { fit, width } from "./TerminalWidth.js"

/** A value as libSQL returns it. */
export type Cell = null | string | number | bigint | boolean | ArrayBuffer | Uint8Array

/** One row's cells, in the order of the columns. */
export type Row = ReadonlyArray<Cell>

export interface ResultTable {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Row>
}

export const formats = ["table", "json", "ndjson", "csv"] as const
export type Format = (typeof formats)[number]

const isBytes = (cell: Cell): cell is ArrayBuffer | Uint8Array => cell instanceof ArrayBuffer || cell instanceof Uint8Array

const base64 = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString("base64")

/** Text holding a JSON array or object (`tags`, `raw`, `changed_fields`) becomes that value in JSON output. */
const jsonValue = (cell: Cell): unknown => {
  if (cell === null || typeof cell === "number" || typeof cell === "boolean") return cell
  if (typeof cell === "bigint") return Number.isSafeInteger(Number(cell)) ? Number(cell) : cell.toString()
  if (isBytes(cell)) return base64(cell)
  const first = cell.charCodeAt(0)
  // Only text that starts like a JSON array or object is worth a parse attempt.
  if (first === 0x5b || first === 0x7b) {
    try {
      return JSON.parse(cell)
    } catch {
      return cell
    }
  }
  return cell
}

/**
 * A row as a JSON object. Assigning keys one by one is several times faster than `Object.fromEntries`,
 * which stays for a column named `__proto__`, the one key an assignment would not define.
 */
const objectMaker = (columns: ReadonlyArray<string>) =>
  columns.includes("__proto__")
    ? (row: Row) => Object.fromEntries(columns.map((column, i) => [column, jsonValue(row[i] ?? null)]))
    : (row: Row) => {
      const object: Record<string, unknown> = {}
      let i = 0
      for (const column of columns) object[column] = jsonValue(row[i++] ?? null)
      return object
    }

/** Plain text of a cell, as CSV and tables show it; each renders `null` its own way. */
const text = (cell: Exclude<Cell, null>): string => (isBytes(cell) ? base64(cell) : String(cell))

export interface TableOptions {
  /** Longer cells are cut to this many characters, ending in an ellipsis. */
  readonly maxWidth?: number
  /** Column widths come from this many first rows (default 1,000); a wider value after them gets a note. */
  readonly window?: number
}

export const NULL_MARK = "NULL"

/** A cell as a table shows it, before it is fitted to its column. */
const tableText = (cell: Cell | undefined) => (cell === undefined || cell === null ? NULL_MARK : text(cell))

/** Rows whose widths size a table's columns, unless told otherwise. */
const TABLE_WINDOW = 1000

/**
 * Writes a result a batch of rows at a time, as the rows come, as UTF-8. The bytes each call returns
 * are good until the next call: write them (and wait for the write) or copy them first.
 */
export interface Renderer {
  /** The bytes of these rows, and of anything that waited for them (a table's header). */
  readonly rows: (rows: ReadonlyArray<Row>) => Uint8Array
  /** The bytes after the last row. */
  readonly end: () => Uint8Array
}

/** A table's column: its name, its header as shown, and what the rows of the window made of it. */
interface Column {
  readonly name: string
  readonly header: string
  /** Right-aligned: each value in the window was a number or NULL. */
  numeric: boolean
  width: number
}

/**
 * An aligned table. Column widths and alignment come from the first `window` rows, held until then:
 * memory stays bounded, and a later value wider than its column is printed whole with a note at the end.
 */
const table = (columns: ReadonlyArray<string>, options: TableOptions): Renderer => {
  const max = Math.max(4, options.maxWidth ?? 48)
  const window = options.window ?? TABLE_WINDOW
  const layout: ReadonlyArray<Column> = columns.map((name) => {
    const header = fit(name, max)
    return { name, header, numeric: true, width: width(header) }
  })
  const out = new Bytes()
  let held: Array<Array<string>> | undefined = []
  let count = 0
  const wider = new Set<string>()
  /** One line of `cells`, one a column; a cell missing shows blank. */
  const line = (cells: ReadonlyArray<string>) => {
    let text = ""
    let i = 0
    for (const column of layout) {
      const cell = cells[i] ?? ""
      const room = column.width - width(cell)
      if (room < 0) wider.add(column.name)
      const pad = " ".repeat(Math.max(0, room))
      text += `${i === 0 ? "" : "  "}${column.numeric ? pad + cell : cell + pad}`
      i++
    }
    out.text(`${text.trimEnd()}\n`)
  }
  /** The header, the rule and the rows held, once the window is full or the rows ended. */
  const start = (rows: ReadonlyArray<ReadonlyArray<string>>) => {
    if (rows.length === 0) for (const column of layout) column.numeric = false
    for (const row of rows) {
      let i = 0
      for (const column of layout) column.width = Math.max(column.width, width(row[i++] ?? ""))
    }
    line(layout.map((column) => column.header))
    out.text(`${layout.map((column) => "─".repeat(column.width)).join("  ")}\n`)
    rows.forEach(line)
  }
  return {
    rows: (rows) => {
      for (const row of rows) {
        count++
        const shown = columns.map((_, i) => fit(tableText(row[i]), max))
        if (held === undefined) {
          line(shown)
          continue
        }
        let i = 0
        for (const column of layout) {
          const cell = row[i++] ?? null
          column.numeric &&= cell === null || typeof cell === "number" || typeof cell === "bigint"
        }
        held.push(shown)
        if (held.length === window) {
          start(held)
          held = undefined
        }
      }
      return out.take()
    },
    end: () => {
      if (held !== undefined) start(held)
      out.text(`(${count} ${count === 1 ? "row" : "rows"})\n`)
      if (wider.size > 0) out.text(`(values wider than their column after the first ${window} rows, in: ${[...wider].join(", ")})\n`)
      return out.take()
    }
  }
}

/** `JSON.stringify(rows, null, 2)`, a row at a time: each object indented as an element of the array. */
const json = (columns: ReadonlyArray<string>): Renderer => {
  const toObject = objectMaker(columns)
  const out = new Bytes()
  let count = 0
  return {
    rows: (rows) => {
      for (const row of rows) {
        out.text(count++ === 0 ? "[\n" : ",\n")
        // `[\n  {…}\n]` less its brackets is the object as the whole array would indent it.
        out.text(JSON.stringify([toObject(row)], null, 2).slice(2, -2))
      }
      return out.take()
    },
    end: () => {
      out.text(count === 0 ? "[]\n" : "\n]\n")
      return out.take()
    }
  }
}

const ndjson = (columns: ReadonlyArray<string>): Renderer => {
  const toObject = objectMaker(columns)
  const out = new Bytes()
  return {
    rows: (rows) => {
      for (const row of rows) {
        out.text(JSON.stringify(toObject(row)))
        out.byte(0x0a)
      }
      return out.take()
    },
    end: () => out.take()
  }
}

/** RFC 4180: CRLF line ends, fields with commas, quotes or line breaks quoted, quotes doubled, NULL empty. */
const csv = (columns: ReadonlyArray<string>): Renderer => {
  const out = new Bytes()
  const endLine = () => {
    out.byte(0x0d)
    out.byte(0x0a)
  }
  columns.forEach((column, i) => {
    if (i > 0) out.byte(0x2c)
    out.csvField(column)
  })
  endLine()
  return {
    rows: (rows) => {
      for (const row of rows) {
        for (let i = 0; i < columns.length; i++) {
          if (i > 0) out.byte(0x2c)
          const cell = row[i] ?? null
          if (cell !== null) out.csvField(typeof cell === "string" ? cell : text(cell))
        }
        endLine()
      }
      return out.take()
    },
    end: () => out.take()
  }
}

/** A renderer of rows of `columns` in `format`; the bytes it returns, in order, are the whole output. */
export const renderer = (columns: ReadonlyArray<string>, format: Format, options: TableOptions = {}): Renderer => {
  switch (format) {
    case "table":
      return table(columns, options)
    case "json":
      return json(columns)
    case "ndjson":
      return ndjson(columns)
    case "csv":
      return csv(columns)
  }
}

/** Renders a whole result in one of the output formats (a table sized on all its rows), ready to write to standard output. */
export const render = (result: ResultTable, format: Format, options: TableOptions = {}): string => {
  const whole = renderer(result.columns, format, { window: Math.max(1, result.rows.length), ...options })
  return Buffer.from(whole.rows(result.rows)).toString("utf8") + Buffer.from(whole.end()).toString("utf8")
}
