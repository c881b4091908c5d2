// The page's one stylesheet: calm, readable, no build step.
export const STYLES = `
:root {
  --bg: #f7f5f2; --card: #ffffff; --ink: #1f2328; --muted: #667085; --line: #e6e1da;
  --accent: #7a4e2d; --accent-soft: #f3ebe3; --ok: #1f7a4d; --ok-soft: #e7f4ec;
  --warn: #9a5b00; --warn-soft: #fdf3e1; --bad: #b42318; --bad-soft: #fdecea;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--accent-soft);
  padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
header.top { background: var(--card); border-bottom: 1px solid var(--line); }
header.top .inner { max-width: 1080px; margin: 0 auto; padding: 18px 24px 12px; }
header.top h1 { margin: 0; font-size: 20px; letter-spacing: -0.01em; }
header.top h1 span { color: var(--accent); }
header.top p { margin: 2px 0 10px; color: var(--muted); font-size: 14px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 14px; }
nav a { text-decoration: none; color: var(--muted); }
nav a:hover { color: var(--accent); }
nav .count { display: inline-block; min-width: 18px; padding: 0 6px; margin-left: 4px; border-radius: 9px;
  background: var(--accent-soft); color: var(--accent); font-size: 12px; text-align: center; }
main { max-width: 1080px; margin: 0 auto; padding: 8px 24px 64px; }
.flash { position: sticky; top: 0; z-index: 5; margin: 12px 0 0; padding: 10px 14px; border-radius: 8px;
  font-weight: 500; box-shadow: 0 2px 8px rgba(0,0,0,.06); }
.flash.ok { background: var(--ok-soft); color: var(--ok); border: 1px solid #b7dfc7; }
.flash.error { background: var(--bad-soft); color: var(--bad); border: 1px solid #f5c2bd; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 12px; margin-top: 20px;
  padding: 18px 20px 8px; scroll-margin-top: 64px; }
section > h2 { margin: 0 0 2px; font-size: 16px; }
section > .hint { margin: 0 0 12px; color: var(--muted); font-size: 13px; }
.empty { color: var(--muted); font-size: 14px; padding: 6px 0 14px; margin: 0; }
.alert { border: 1px solid #f5c2bd; background: var(--bad-soft); border-radius: 12px; padding: 14px 18px; margin-top: 20px; }
.alert h2 { margin: 0 0 4px; font-size: 16px; color: var(--bad); }
.alert p { margin: 6px 0; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 8px 16px; padding: 12px 0;
  border-top: 1px solid var(--line); scroll-margin-top: 64px; }
.row:first-of-type { border-top: 0; }
.row.target, .row:target { background: #fffbf5; box-shadow: -20px 0 0 #fffbf5, 20px 0 0 #fffbf5; }
.title { font-weight: 600; }
.sub { color: var(--muted); font-size: 14px; }
.when { font-size: 14px; margin-top: 2px; }
.when .theirs { color: var(--accent); }
.reasons { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; padding: 0; list-style: none; }
.reasons li { font-size: 12px; color: #475467; background: #f2f4f7; border-radius: 10px; padding: 1px 8px; }
.pill { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 10px; padding: 1px 8px; white-space: nowrap; }
.pill.ok { background: var(--ok-soft); color: var(--ok); }
.pill.warn { background: var(--warn-soft); color: var(--warn); }
.pill.bad { background: var(--bad-soft); color: var(--bad); }
.pill.muted { background: #f2f4f7; color: #475467; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; justify-content: flex-end; }
form { margin: 0; }
form.inline { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
form.note { display: flex; gap: 8px; margin-top: 8px; align-items: flex-start; }
form.note textarea { flex: 1; min-height: 38px; }
input[type=text], input[type=date], textarea { font: inherit; font-size: 14px; color: var(--ink); background: #fff;
  border: 1px solid #d0d5dd; border-radius: 6px; padding: 5px 8px; }
input[type=text] { width: 190px; }
textarea { resize: vertical; width: 100%; }
input:focus, textarea:focus, button:focus-visible { outline: 2px solid #c9a27e; outline-offset: 1px; }
.invalid { border-color: var(--bad) !important; background: #fffafa !important; }
.field-error { color: var(--bad); font-size: 13px; font-weight: 500; margin-top: 6px; }
button { font: inherit; font-size: 13px; font-weight: 500; cursor: pointer; border-radius: 6px; padding: 5px 11px;
  border: 1px solid #d0d5dd; background: #fff; color: var(--ink); white-space: nowrap; }
button:hover { background: #f9fafb; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { background: #653f23; }
button.quiet { color: var(--muted); }
button.danger { color: var(--bad); }
table { width: 100%; border-collapse: collapse; font-size: 14px; margin-bottom: 10px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; padding: 6px 10px 6px 0; border-bottom: 1px solid var(--line); }
td { padding: 10px 10px 10px 0; border-top: 1px solid var(--line); vertical-align: top; }
tr:first-child td { border-top: 0; }
td.nowrap { white-space: nowrap; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 20px; }
.grid2 > section { margin-top: 20px; }
@media (max-width: 860px) { .grid2 { grid-template-columns: 1fr; } .row { grid-template-columns: 1fr; } .actions { justify-content: flex-start; } }
footer { max-width: 1080px; margin: 0 auto; padding: 0 24px 40px; color: var(--muted); font-size: 13px; }
.contact-forms { display: flex; flex-wrap: wrap; gap: 8px 14px; margin-top: 8px; }
.muted { color: var(--muted); }
`;
