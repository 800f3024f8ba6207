// The report's style sheet, inlined into the page: no font or file is fetched at view time.

export const REPORT_CSS = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; --card: #fff; --accent: #1e3a8a;
  --ok: #3f9a5c; --bad: #d64541; --gone: #a0a4ab; --out: #e8a33d; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #0f172a; color: #e2e8f0; padding: 18px 36px 16px; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; color: #fff; }
header .sub { color: #94a3b8; font-size: 13px; word-break: break-all; }
main { max-width: 1320px; margin: 0 auto; padding: 8px 20px 48px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 18px 0; }
h2 { font-size: 16px; margin: 0 0 12px; font-weight: 600; }
h3 { font-size: 14px; margin: 16px 0 8px; font-weight: 600; }
.banner { margin: 18px 0 0; padding: 10px 16px; border-radius: 8px; background: #fff7e6; border: 1px solid #f3c77a; color: #7a4b00; }
.state { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; }
.state.complete { background: #e3f4e8; color: #1d6b38; }
.state.failed { background: #fde8e7; color: #a12a22; }
.state.running { background: #fff1d6; color: #8a5300; }
.state.stopped { background: #eceef2; color: #374151; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; margin-top: 14px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 18px; font-weight: 600; margin-top: 2px; overflow-wrap: anywhere; }
.card .v.small { font-size: 13.5px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; padding-top: 4px; }
.card .d { overflow-wrap: anywhere; }
.card .d { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 12px; }
th, td { padding: 4px 5px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { font-weight: 600; font-size: 12.5px; color: #374151; background: #f9fafb; }
th.group { text-align: center; border-left: 1px solid var(--line); }
td.l, th.l { text-align: left; }
td.first, th.first { border-left: 1px solid var(--line); }
td.name { max-width: 240px; overflow: hidden; text-overflow: ellipsis; }
table.sortable th[data-col] { cursor: pointer; user-select: none; }
table.sortable th[data-col]:hover { color: var(--accent); }
th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: 9px; }
th[aria-sort="descending"]::after { content: " \\25BC"; font-size: 9px; }
tbody tr:hover { background: #f5f7fb; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin: 0 0 8px; font-size: 13px; }
.legend span.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 5px; }
.legend .restart { width: 0; height: 14px; border-left: 2px dashed #1e3a8a; border-radius: 0; }
.legend .crit { outline: 2px solid #111827; outline-offset: -1px; background: #fff; }
.gantt-box { position: relative; }
#gantt { display: block; width: 100%; cursor: crosshair; }
#gantt-tip { position: absolute; pointer-events: none; background: #0f172a; color: #f1f5f9; padding: 6px 9px; border-radius: 5px; font-size: 12px; white-space: pre; display: none; z-index: 2; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
#gantt-sel { position: absolute; top: 0; bottom: 0; background: rgba(30,58,138,.12); border: 1px solid rgba(30,58,138,.4); display: none; pointer-events: none; }
.caption { color: var(--muted); font-size: 12.5px; margin-top: 8px; }
button.reset { font: inherit; font-size: 12.5px; padding: 2px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; cursor: pointer; }
.failure { border-left: 3px solid var(--bad); padding: 6px 0 6px 14px; margin: 12px 0; }
.failure .title { font-weight: 600; }
.failure .reason { color: #a12a22; white-space: pre-wrap; word-break: break-word; }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre.log { background: #0f172a; color: #e2e8f0; padding: 8px 12px; border-radius: 6px; overflow-x: auto; margin: 6px 0 0; white-space: pre-wrap; word-break: break-all; }
details summary { cursor: pointer; color: var(--accent); font-size: 12.5px; }
td.reason { text-align: left; white-space: normal; min-width: 260px; width: 70%; }
tr.crit-break td { text-align: center; color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 24px; }
`
