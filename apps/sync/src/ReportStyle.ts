/** The report page's CSS, inline so the page loads nothing (its Content-Security-Policy allows no other). */
export const style = `
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
