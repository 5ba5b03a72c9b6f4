/** A value as libSQL returns it. */
export type Cell = null | string | number | bigint | boolean | ArrayBuffer | Uint8Array

export interface ResultTable {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<Cell>>
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

const toObject = (columns: ReadonlyArray<string>, row: ReadonlyArray<Cell>) =>
  Object.fromEntries(columns.map((column, i) => [column, jsonValue(row[i] ?? null)]))

/** Plain text of a cell, as CSV and tables show it; `null` stays `null` for the caller to render. */
const text = (cell: Cell): string | null => {
  if (cell === null) return null
  if (isBytes(cell)) return base64(cell)
  return String(cell)
}

const csvField = (value: string | null) => {
  if (value === null) return ""
  return /[",\r\n]/.test(value) ? `"${value.replaceAll("\"", "\"\"")}"` : value
}

/** RFC 4180: CRLF line ends, fields with commas, quotes or line breaks quoted, quotes doubled, NULL empty. */
const csv = ({ columns, rows }: ResultTable) =>
  [columns.map(csvField), ...rows.map((row) => columns.map((_, i) => csvField(text(row[i] ?? null))))]
    .map((fields) => `${fields.join(",")}\r\n`)
    .join("")

export interface TableOptions {
  /** Longer cells are cut to this many characters, ending in an ellipsis. */
  readonly maxWidth?: number
}

export const NULL_MARK = "NULL"

/** East Asian wide and emoji code points take two terminal columns. */
const isWide = (code: number) =>
  (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) ||
  (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
  (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) || (code >= 0x20000 && code <= 0x3fffd)

const charWidth = (char: string) => (isWide(char.codePointAt(0) ?? 0) ? 2 : 1)

/** Terminal columns, so accented and CJK text lines up. */
const width = (value: string) => [...value].reduce((sum, char) => sum + charWidth(char), 0)

/** Cuts `value` to `max` columns, ending in an ellipsis; line breaks show as ⏎ to keep one row a line. */
const fit = (value: string, max: number) => {
  const flat = value.replace(/\r?\n/g, "⏎")
  if (width(flat) <= max) return flat
  let out = ""
  for (const char of flat) {
    if (width(out) + charWidth(char) > max - 1) break
    out += char
  }
  return `${out}…`
}

const table = ({ columns, rows }: ResultTable, options: TableOptions) => {
  const max = Math.max(4, options.maxWidth ?? 48)
  const shown = rows.map((row) => columns.map((_, i) => fit(text(row[i] ?? null) ?? NULL_MARK, max)))
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => row[i] === null || typeof row[i] === "number" || typeof row[i] === "bigint"))
  const header = columns.map((column) => fit(column, max))
  const widths = header.map((column, i) => Math.max(width(column), ...shown.map((row) => width(row[i] ?? ""))))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - width(cell))
        return numeric[i] ? pad + cell : cell + pad
      })
      .join("  ")
      .trimEnd()
  const rule = widths.map((w) => "─".repeat(w)).join("  ")
  const count = `(${rows.length} ${rows.length === 1 ? "row" : "rows"})`
  return [line(header), rule, ...shown.map(line), count].join("\n") + "\n"
}

/** Renders a result in one of the output formats, ready to write to standard output. */
export const render = (result: ResultTable, format: Format, options: TableOptions = {}): string => {
  switch (format) {
    case "table":
      return table(result, options)
    case "json":
      return `${JSON.stringify(result.rows.map((row) => toObject(result.columns, row)), null, 2)}\n`
    case "ndjson":
      return result.rows.map((row) => `${JSON.stringify(toObject(result.columns, row))}\n`).join("")
    case "csv":
      return csv(result)
  }
}
