import type { Count, SourcedRun } from "./ReadModel.js"
import type { Report, ReportChange } from "./Report.js"
import { changeLimit, runLimit, unhealthyLimit } from "./Report.js"
import { barChart, stateChangeChart } from "./ReportCharts.js"
import { style } from "./ReportStyle.js"
import { escapeHtml, fmt, truncate } from "./ReportText.js"

export { escapeHtml } from "./ReportText.js"

/**
 * One self-contained HTML page of a `Report`: inline CSS, charts as inline SVG, no script, and a
 * Content-Security-Policy that lets it load nothing, so it opens the same from a file or a mail.
 * Every value from the mirror goes through `escapeHtml`, in text and attributes alike.
 */

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
