// The page's HTML and style; its script (src/ui/page/) fills it in. The
// token is written into the script's URL: the page is only ever served to a
// request that carried it.

export function pageHtml(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jobtree</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <div class="title"><strong>jobtree</strong> <span id="run-name"></span> <span id="leader" class="pill"></span></div>
  <div id="counts"></div>
  <div class="progress"><div id="progress-bar"></div></div>
</header>
<div id="banner" hidden></div>
<main>
  <section class="left">
    <div id="failed" hidden></div>
    <div class="tree-head"><span>Job</span><span class="find">Go to job <input id="find" type="number" min="0" placeholder="id"></span></div>
    <div id="tree" tabindex="0"><div id="tree-space"></div></div>
  </section>
  <aside class="right">
    <div id="panel"><p class="hint">Click a job to see its events, attempts and log.</p></div>
    <div id="charts"></div>
  </aside>
</main>
<footer>
  <button id="back" title="one event back (←)">◀</button>
  <input id="scrub" type="range" min="0" max="0" value="0" aria-label="position in the log">
  <button id="forward" title="one event forward (→)">▶</button>
  <button id="live" title="follow the run">Live</button>
  <div id="position"></div>
</footer>
<script src="/page.js?token=${encodeURIComponent(token)}"></script>
</body>
</html>
`
}

const STYLE = `
:root { --waiting: #8a94a3; --ready: #2f6fde; --running: #e09a00; --done: #1f9d55; --retrying: #9b51e0; --failed: #d62d2d;
  --line: #e3e6ea; --muted: #5f6b7a; --bg: #f7f8fa; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1c2430; }
* { box-sizing: border-box; }
body { margin: 0; height: 100vh; display: flex; flex-direction: column; background: var(--bg); }
header { padding: 10px 16px 8px; background: #fff; border-bottom: 1px solid var(--line); }
.title { font-size: 15px; display: flex; gap: 10px; align-items: center; }
#run-name { color: var(--muted); }
.pill { font-size: 12px; padding: 1px 8px; border-radius: 10px; color: #fff; background: var(--muted); }
.pill.running { background: var(--done); } .pill.gone { background: var(--failed); } .pill.finished { background: #34495e; }
#counts { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0; }
.count { display: flex; align-items: center; gap: 5px; }
.count b { font-variant-numeric: tabular-nums; }
.dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; flex: none; }
.progress { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; display: flex; }
#progress-bar { display: flex; width: 100%; }
#progress-bar span { height: 100%; }
#banner { background: #fdecea; color: #8a1c1c; padding: 6px 16px; border-bottom: 1px solid #f5c2c0; }
main { flex: 1; display: flex; min-height: 0; }
.left { flex: 3; display: flex; flex-direction: column; min-width: 0; border-right: 1px solid var(--line); background: #fff; }
.right { flex: 2; overflow: auto; padding: 12px 16px; min-width: 320px; }
#failed { max-height: 25%; overflow: auto; border-bottom: 1px solid var(--line); padding: 6px 12px; background: #fff7f7; }
#failed h3 { margin: 2px 0 4px; font-size: 13px; color: var(--failed); }
#failed a { display: block; color: inherit; text-decoration: none; padding: 1px 0; cursor: pointer; }
#failed a:hover { text-decoration: underline; }
.tree-head { display: flex; justify-content: space-between; padding: 4px 12px; color: var(--muted); border-bottom: 1px solid var(--line); font-size: 12px; }
.find input { width: 80px; font: inherit; }
#tree { flex: 1; overflow: auto; position: relative; outline: none; }
#tree-space { position: relative; }
.row { position: absolute; left: 0; right: 0; height: 22px; display: flex; align-items: center; gap: 6px; padding-right: 12px; white-space: nowrap; cursor: pointer; border-left: 3px solid transparent; }
.row:hover { background: #f1f4f8; }
.row.selected { background: #e4edfb; }
.row.critical { border-left-color: #c2410c; }
.row .toggle { width: 14px; text-align: center; color: var(--muted); flex: none; }
.row .id { color: var(--muted); font-variant-numeric: tabular-nums; min-width: 3ch; }
.row .name { overflow: hidden; text-overflow: ellipsis; }
.row .tag { color: var(--muted); font-size: 11px; }
.row .state { margin-left: auto; font-size: 12px; flex: none; }
.row .att { color: var(--muted); font-size: 12px; flex: none; min-width: 5ch; text-align: right; }
.s-waiting { color: var(--waiting); } .s-ready { color: var(--ready); } .s-running { color: var(--running); }
.s-done { color: var(--done); } .s-retrying { color: var(--retrying); } .s-failed { color: var(--failed); font-weight: 600; } .s-superseded { color: var(--muted); text-decoration: line-through; }
.b-waiting { background: var(--waiting); } .b-ready { background: var(--ready); } .b-running { background: var(--running); }
.b-done { background: var(--done); } .b-retrying { background: var(--retrying); } .b-failed { background: var(--failed); } .b-superseded { background: var(--muted); }
h2 { font-size: 15px; margin: 0 0 6px; } h3 { font-size: 13px; margin: 14px 0 4px; }
.hint { color: var(--muted); }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.kv dt { color: var(--muted); } .kv dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { text-align: left; padding: 2px 6px 2px 0; vertical-align: top; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: normal; }
pre { background: #1e2430; color: #e6e9ef; padding: 8px; border-radius: 4px; overflow: auto; max-height: 280px; font-size: 12px; margin: 0; white-space: pre-wrap; }
.events td:first-child { color: var(--muted); white-space: nowrap; }
#charts { margin-top: 18px; padding-top: 8px; border-top: 1px solid var(--line); }
.chart { margin-bottom: 10px; } .chart svg { width: 100%; height: 60px; display: block; background: #fff; border: 1px solid var(--line); }
.chart .label { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; }
#critical a { cursor: pointer; color: inherit; }
footer { display: flex; gap: 8px; align-items: center; padding: 8px 16px; background: #fff; border-top: 1px solid var(--line); }
footer button { font: inherit; padding: 2px 10px; }
#live.on { background: var(--done); color: #fff; border-color: var(--done); }
#scrub { flex: 1; }
#position { min-width: 40%; color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
`
