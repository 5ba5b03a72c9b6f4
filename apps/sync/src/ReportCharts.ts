import type { Count } from "./ReadModel.js"
import type { StateChangeDay } from "./Report.js"
import { escapeHtml, fmt, truncate } from "./ReportText.js"

/** The report's charts, as inline SVG: no script, every label escaped. */

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
