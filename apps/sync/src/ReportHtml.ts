import type { Count, SourcedRun } from "./ReadModel.js"
import type { Report, ReportChange, StateChangeDay } from "./Report.js"
import { changeLimit, runLimit, unhealthyLimit } from "./Report.js"

/**
 * One self-contained HTML page of a `Report`: inline CSS, charts as inline SVG, no script, and a
 * Content-Security-Policy that lets it load nothing, so it opens the same from a file or a mail.
 * Every value from the mirror goes through `escapeHtml`, in text and attributes alike.
 */

/** `&`, `<`, `>`, `"` and `'` as entities: safe in element text and in quoted attributes (HTML and SVG). */
export const escapeHtml = (value: unknown): string =>
  String(value ?? "").replace(/[&<>"']/g, (char) =>
    char === "&" ? "&amp;" : char === "<" ? "&lt;" : char === ">" ? "&gt;" : char === '"' ? "&quot;" : "&#39;")

const number = new Intl.NumberFormat("en-US")
const fmt = (value: number) => number.format(value)

/** A number a test or a reader can find: its text, with a stable `data-testid`. */
const num = (testId: string, value: number) => `<span class="num" data-testid="${escapeHtml(testId)}">${fmt(value)}</span>`

/** `platform-count-stripe`: the value as is, escaped; a test id need not be an identifier. */
const testId = (prefix: string, value: string) => `${prefix}-${value}`

/** How long a run took; a dash while it runs, or when it never finished. */
const duration = (run: SourcedRun) => {
  const millis = run.finishedAt === null ? NaN : Date.parse(run.finishedAt) - Date.parse(run.startedAt)
  if (!Number.isFinite(millis)) return "—"
  if (millis < 1000) return `${millis} ms`
  const seconds = millis / 1000
  if (seconds < 120) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

const stateClass = (state: string) =>
  ["operational", "failed", "degraded", "unknown", "succeeded", "interrupted", "running", "inserted", "updated", "deleted", "restored"]
      .includes(state)
    ? ` class="tag tag-${state}"`
    : ` class="tag"`

const tag = (value: string) => `<span${stateClass(value)}>${escapeHtml(value)}</span>`

const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, testIdValue: string, numeric: ReadonlyArray<number> = []) =>
  rows.length === 0
    ? `<p class="empty" data-testid="${testIdValue}-empty">Nothing to show.</p>`
    : `<table data-testid="${testIdValue}"><thead><tr>${
      headers.map((header, i) => `<th${numeric.includes(i) ? ` class="r"` : ""}>${escapeHtml(header)}</th>`).join("")
    }</tr></thead><tbody>${
      rows.map((cells) => `<tr>${cells.map((cell, i) => `<td${numeric.includes(i) ? ` class="r"` : ""}>${cell}</td>`).join("")}</tr>`)
        .join("")
    }</tbody></table>`

const countTable = (title: string, counts: ReadonlyArray<Count>, prefix: string, total: number) =>
  table(
    [title, "connections", "share"],
    counts.map((item) => [
      escapeHtml(item.value),
      num(testId(prefix, item.value), item.connections),
      total === 0 ? "—" : `${(100 * item.connections / total).toFixed(1)} %`
    ]),
    `${prefix}-table`,
    [1, 2]
  )

/** Horizontal bars, one a value, labelled; every label escaped. */
export const barChart = (counts: ReadonlyArray<Count>, title: string) => {
  if (counts.length === 0) return ""
  const bar = 16
  const gap = 6
  const labelWidth = 150
  const width = 720
  const plot = width - labelWidth - 70
  const max = Math.max(...counts.map((item) => item.connections), 1)
  const height = counts.length * (bar + gap) + gap
  const bars = counts.map((item, i) => {
    const y = gap + i * (bar + gap)
    const w = Math.max(1, Math.round((item.connections / max) * plot))
    return `<g><title>${escapeHtml(`${item.value}: ${fmt(item.connections)}`)}</title>` +
      `<text x="${labelWidth - 8}" y="${y + bar - 4}" text-anchor="end" class="label">${escapeHtml(truncate(item.value, 22))}</text>` +
      `<rect x="${labelWidth}" y="${y}" width="${w}" height="${bar}" rx="2" class="bar"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + bar - 4}" class="value">${fmt(item.connections)}</text></g>`
  })
  return `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="chart">${
    bars.join("")
  }</svg>`
}

/** One column a day, stacked: changes towards a bad state (red) under changes back (green). */
export const stateChangeChart = (days: ReadonlyArray<StateChangeDay>) => {
  const width = 720
  const height = 200
  const left = 40
  const bottom = 28
  const top = 10
  const plotHeight = height - bottom - top
  const max = Math.max(...days.map((day) => day.worse + day.better), 1)
  const step = (width - left - 10) / Math.max(days.length, 1)
  const barWidth = Math.max(2, step * 0.7)
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight
  const columns = days.map((day, i) => {
    const x = left + i * step + (step - barWidth) / 2
    const worseTop = y(day.worse)
    const betterTop = y(day.worse + day.better)
    const label = i % Math.ceil(days.length / 10) === 0 || i === days.length - 1
      ? `<text x="${x + barWidth / 2}" y="${height - 10}" text-anchor="middle" class="axis">${escapeHtml(day.day.slice(5))}</text>`
      : ""
    return `<g><title>${escapeHtml(`${day.day}: ${day.worse} to a bad state, ${day.better} back`)}</title>` +
      (day.worse > 0 ? `<rect x="${x}" y="${worseTop}" width="${barWidth}" height="${y(0) - worseTop}" class="worse"/>` : "") +
      (day.better > 0 ? `<rect x="${x}" y="${betterTop}" width="${barWidth}" height="${worseTop - betterTop}" class="better"/>` : "") +
      `</g>${label}`
  })
  return `<svg role="img" aria-label="State changes per day" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" class="chart">` +
    `<line x1="${left}" y1="${y(0)}" x2="${width - 10}" y2="${y(0)}" class="axisline"/>` +
    `<text x="${left - 6}" y="${y(max) + 4}" text-anchor="end" class="axis">${fmt(max)}</text>` +
    `<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end" class="axis">0</text>` +
    columns.join("") + `</svg>`
}

const truncate = (value: string, length: number) => (value.length > length ? `${value.slice(0, length - 1)}…` : value)

const shortJson = (value: unknown) => truncate(value === undefined ? "—" : JSON.stringify(value) ?? String(value), 60)

const fields = (change: ReportChange) =>
  change.changedFields === null
    ? ""
    : Object.entries(change.changedFields).map(([field, diff]) =>
      `<span class="field">${escapeHtml(field)}: ${escapeHtml(shortJson(diff?.old))} → ${escapeHtml(shortJson(diff?.new))}</span>`
    ).join(" ")

/** `2026-11-25 19:02` (UTC) to read, the whole instant on hover. */
const time = (iso: string) =>
  `<time title="${escapeHtml(iso)}">${escapeHtml(/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso)}</time>`

/** The first 8 characters of an id, the whole id on hover. */
const shortId = (id: string) => `<span class="id" title="${escapeHtml(id)}">${escapeHtml(truncate(id, 9))}</span>`

const name = (value: string | null) => (value === null ? `<span class="null">(no name)</span>` : escapeHtml(value))

const runRow = (run: SourcedRun) => [
  `${run.id}`,
  escapeHtml(run.source),
  time(run.startedAt),
  duration(run),
  fmt(run.rowsFetched),
  fmt(run.inserted),
  fmt(run.updated),
  fmt(run.deleted),
  tag(run.status),
  run.error === null ? "" : `<span class="error">${escapeHtml(run.error)}</span>`
]

const style = `
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#fff;--panel:#f8f9fb;--accent:#3b6fd8;--bad:#d64545;--warn:#e19b2b;--good:#2f9e6b}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:16px 0 6px}
.meta{color:var(--muted);margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:16px 0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px}
.card .num{display:block;font-size:26px;font-weight:600}
.card .what{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.bad .num{color:var(--bad)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600}
.r{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.chart .bar{fill:var(--accent)}.chart .worse{fill:var(--bad)}.chart .better{fill:var(--good)}
.chart .label,.chart .value,.chart .axis{font-size:11px;fill:var(--fg)}.chart .axis{fill:var(--muted)}
.chart .axisline{stroke:var(--line)}
.tag{display:inline-block;padding:0 6px;border-radius:9px;background:var(--line);font-size:12px}
.tag-failed,.tag-deleted{background:#fde2e2;color:#9b1c1c}.tag-degraded,.tag-interrupted,.tag-running{background:#fdf0d5;color:#8a5a00}
.tag-unknown{background:#e6e6f0}.tag-operational,.tag-succeeded,.tag-inserted,.tag-restored{background:#dcf3e8;color:#1d6b47}
.tag-updated{background:#e0e9fb;color:#23478f}
.error{color:var(--bad)}.null,.empty{color:var(--muted)}.field{display:inline-block;margin-right:8px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
time,.id{white-space:nowrap}details summary{cursor:pointer;color:var(--accent);margin:4px 0}
code,.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`

/** The whole page. Pure: the same report gives the same bytes. */
export const render = (report: Report): string => {
  const scope = report.source === null
    ? report.sources.length === 0 ? "no source yet" : `sources ${report.sources.join(", ")}`
    : `source ${report.source}`
  const title = `picasync report — ${scope}`
  const unhealthyShown = report.unhealthy.connections.length
  const failed = report.byState.find((item) => item.value === "failed")?.connections ?? 0
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>picasync report</h1>
<p class="meta">${escapeHtml(scope)} · generated <time data-testid="generated-at">${escapeHtml(report.generatedAt)}</time> · changes over the last ${
    fmt(report.days)
  } days (since ${escapeHtml(report.since)})</p>

<section class="cards">
<div class="card"><span class="what">live connections</span>${num("live-total", report.live.total)}</div>
<div class="card"><span class="what">active</span>${num("live-active", report.live.active)}</div>
<div class="card"><span class="what">inactive</span>${num("live-inactive", report.live.inactive)}</div>
<div class="card bad"><span class="what">failed</span>${num("failed-total", failed)}</div>
<div class="card bad"><span class="what">unhealthy</span>${num("unhealthy-total", report.unhealthy.total)}</div>
<div class="card"><span class="what">deleted (tombstoned)</span>${num("deleted-total", report.live.deleted)}</div>
</section>

<h2 id="inventory">Inventory</h2>
<h3>By platform (${fmt(report.byPlatform.length)} platforms)</h3>
${barChart(report.byPlatform, "Live connections by platform")}
<details><summary>The same as a table</summary>
${countTable("platform", report.byPlatform, "platform-count", report.live.total)}
</details>
<div class="grid">
<div><h3>By environment</h3>${countTable("environment", report.byEnvironment, "environment-count", report.live.total)}</div>
<div><h3>By state</h3>${countTable("state", report.byState, "state-count", report.live.total)}</div>
</div>

<h2 id="unhealthy">Unhealthy connections</h2>
<p>${num("unhealthy-total-detail", report.unhealthy.total)} live connections are degraded, failed or unknown${
    report.unhealthy.byState.length === 0
      ? ""
      : ` (${report.unhealthy.byState.map((item) => `${escapeHtml(item.value)} ${num(testId("unhealthy-count", item.value), item.connections)}`).join(", ")})`
  }${unhealthyShown < report.unhealthy.total ? `; the ${fmt(unhealthyShown)} longest so:` : unhealthyShown === 0 ? "." : ":"}</p>
${
    table(
      ["name", "platform", "environment", "state", "since", "days", "active", "id"],
      report.unhealthy.connections.map((c) => [
        name(c.name),
        escapeHtml(c.platform ?? "none"),
        escapeHtml(c.environment ?? "none"),
        tag(c.state),
        c.stateSince === null ? `<span class="null">unknown</span>` : time(c.stateSince),
        c.daysInState === null ? "—" : escapeHtml(c.daysInState.toFixed(1)),
        c.active ? "yes" : "no",
        shortId(c.id)
      ]),
      "unhealthy-table",
      [5]
    )
  }
<p class="meta">At most ${unhealthyLimit} rows; all of them: <code>select * from unhealthy_connections order by days_in_state desc</code>.</p>

<h2 id="state-changes">State changes, last ${fmt(report.days)} days</h2>
<p>${num("state-changes-total", report.stateChanges.total)} changes of state observed.
<span class="legend"><span><i style="background:var(--bad)"></i>to degraded, failed or unknown</span><span><i style="background:var(--good)"></i>back to another state</span></span></p>
${stateChangeChart(report.stateChanges.perDay)}

<h2 id="inventory-over-time">Inventory over time, last ${fmt(report.days)} days</h2>
<p>At the end of each day (now, for today), from the versions of every connection; — where their history does not reach.</p>
${
    table(
      ["day", "live", "failed", "degraded"],
      report.inventoryOverTime.map((day) => [escapeHtml(day.day), ...[day.live, day.failed, day.degraded].map((n) => (n === null ? "—" : fmt(n)))]),
      "inventory-over-time-table",
      [1, 2, 3]
    )
  }

<h2 id="runs">Sync runs</h2>
<p>${num("runs-total", report.runs.total)} runs, ${num("runs-failed-total", report.runs.failed)} failed or interrupted; the last ${runLimit}:</p>
${
    table(
      ["run", "source", "started", "duration", "rows", "inserted", "updated", "deleted", "status", "error"],
      report.runs.recent.map(runRow),
      "runs-table",
      [0, 3, 4, 5, 6, 7]
    )
  }

<h2 id="changes">What changed, last ${fmt(report.days)} days</h2>
<p>${num("changes-total", report.changes.total)} changes${
    report.changes.byKind.length === 0
      ? "."
      : `: ${report.changes.byKind.map((item) => `${escapeHtml(item.value)} ${num(testId("changes-count", item.value), item.connections)}`).join(" · ")}`
  }</p>
${
    table(
      ["observed", "kind", "platform", "name", "fields", "run"],
      report.changes.recent.map((change) => [
        time(change.observedAt),
        tag(change.kind),
        escapeHtml(change.platform ?? "none"),
        name(change.name),
        fields(change),
        `${change.runId}`
      ]),
      "changes-table",
      [5]
    )
  }
<p class="meta">The last ${changeLimit} at most; all of them: <code>select * from recent_changes</code>.</p>

<footer>Written by <code>picasync report</code> from the mirror; a snapshot read in one transaction. Ask more with <code>picasync query</code>.</footer>
</main>
</body>
</html>
`
}
