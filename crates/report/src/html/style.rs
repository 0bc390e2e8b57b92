//! The page's inline style sheet (screen and print).

/// The CSS of the report page.
pub(super) const CSS: &str = r#"
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #b3261e; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; padding: 24px; max-width: 1200px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 2px solid var(--ink); padding-bottom: 2px; margin: 28px 0 10px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
h4 { font-size: 14px; margin: 12px 0 4px; }
p { margin: 6px 0; }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.date { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted { color: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 10px 0; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; }
.note { border-left: 4px solid var(--accent); background: #fff4f2; padding: 8px 12px; margin: 12px 0; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; margin: 10px 0; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: var(--soft); }
.stat .label { color: var(--muted); font-size: 12px; }
.stat .value { font-size: 20px; font-weight: 700; font-variant-numeric: tabular-nums; }
.verdict { font-size: 18px; font-weight: 700; }
.verdict.presumed { color: var(--accent); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.field { margin: 8px 0; }
.field .label { display: block; font-weight: 600; }
.blank { border-bottom: 1px solid var(--ink); min-height: 2.2em; margin-top: 2px; }
.blank.tall { min-height: 5em; }
ul.checklist { list-style: none; padding-left: 0; }
ul.checklist li::before { content: "\2610\00a0"; }
.chain { display: flex; flex-wrap: wrap; gap: 6px; align-items: stretch; padding: 0; list-style: none; }
.chain > li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; min-width: 150px; flex: 1 1 150px; }
.chain > li ul { padding-left: 16px; margin: 4px 0 0; }
footer { margin-top: 32px; border-top: 1px solid var(--line); padding-top: 8px; color: var(--muted); font-size: 12px; }
@page { size: auto; margin: 14mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  h3, h4 { break-after: avoid; }
  tr, .stat, .card, .field, .chain > li { break-inside: avoid; }
  thead { display: table-header-group; }
  .stat { background: none; }
  a { color: inherit; text-decoration: none; }
}
"#;
