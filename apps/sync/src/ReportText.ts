import { thousands } from "./Thousands.js"

/** Text as the report's HTML shows it: escaped, numbers grouped, long values cut. */

/** `&`, `<`, `>`, `"` and `'` as entities: safe in element text and in quoted attributes (HTML and SVG). */
export const escapeHtml = (value: unknown): string =>
  String(value ?? "").replace(/[&<>"']/g, (char) =>
    char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char === '"' ? "&quot;" : "&#39;")

export const fmt = thousands

/** `value` cut to `length` characters, ending in an ellipsis. */
export const truncate = (value: string, length: number) => (value.length > length ? `${value.slice(0, length - 1)}…` : value)
