/**
 * @module
 * The UI's one stylesheet (served as a file, so the CSP needs no inline styles). System fonts,
 * no images: the page weight is the HTML. Colours keep a contrast of at least 4.5:1 on their
 * background (WCAG AA), and every focusable element shows a visible focus ring.
 */
export const STYLESHEET = `
:root{--fg:#1d2330;--muted:#4d5666;--bg:#fff;--panel:#f5f7fa;--line:#d5dae2;--accent:#0b5cad;--accent-fg:#fff;--ok:#146c2e;--warn:#8a4b00;--bad:#a1141c;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#aab3c2;--bg:#12161d;--panel:#1b212b;--line:#323b49;--accent:#6cb2ff;--accent-fg:#0b1320;--ok:#6fd08c;--warn:#f0b35a;--bad:#ff8a8f}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:2}
header.top{display:flex;flex-wrap:wrap;gap:.75rem 1.25rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
.brand{font-weight:700;font-size:1.25rem;text-decoration:none;color:var(--fg)}
.brand span{color:var(--accent)}
form.search{flex:1 1 16rem;display:flex;gap:.4rem;position:relative;margin:0}
form.search input{flex:1}
nav.user{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
nav.user form{margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem}
footer{max-width:72rem;margin:2rem auto 1rem;padding:0 1rem;color:var(--muted);font-size:.875rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem;word-break:break-word}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
input,select,textarea,button{font:inherit;color:inherit}
input,select,textarea{background:var(--bg);border:1px solid var(--muted);border-radius:4px;padding:.35rem .5rem}
button,.button{background:var(--accent);color:var(--accent-fg);border:1px solid var(--accent);border-radius:4px;padding:.35rem .8rem;cursor:pointer;text-decoration:none;display:inline-block}
button.plain{background:transparent;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad);color:var(--bg)}
label{display:block;margin:.5rem 0}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:.45rem .5rem;text-align:left;vertical-align:top}
th{font-size:.875rem;color:var(--muted);font-weight:600}
.scroll{overflow-x:auto}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
pre{background:var(--panel);border:1px solid var(--line);padding:.75rem;overflow:auto;max-height:40rem;white-space:pre-wrap;word-break:break-all}
.digest{word-break:break-all}
.muted{color:var(--muted)}
.error{color:var(--bad)}
.notice{background:var(--panel);border-left:4px solid var(--accent);padding:.6rem 1rem}
.badge{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:0 .5rem;font-size:.8rem;margin:0 .25rem .25rem 0;white-space:nowrap}
.signed{color:var(--ok);border-color:currentColor}.unsigned{color:var(--muted)}.cached{color:var(--warn);border-color:currentColor}
.layout{display:grid;grid-template-columns:14rem 1fr;gap:1.5rem}
@media (max-width:48rem){.layout{grid-template-columns:1fr}.pull code{white-space:normal;word-break:break-all}.pull .tool{width:4.5rem}}
td code.digest{white-space:nowrap}
fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 1rem;padding:.5rem .75rem}
fieldset label{display:flex;gap:.4rem;align-items:center;margin:.2rem 0}
ul.cards{list-style:none;padding:0;margin:0;display:grid;gap:.75rem}
ul.cards li{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem}
.card-head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline;justify-content:space-between}
.card-head a{font-weight:600;font-size:1.05rem;word-break:break-all}
.facts{display:flex;flex-wrap:wrap;gap:.25rem 1rem;color:var(--muted);font-size:.875rem;margin:.25rem 0 0}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1.5rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-word}
.pull{display:flex;gap:.4rem;align-items:center;margin:.3rem 0}
.pull code{flex:1;background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:.35rem .5rem;overflow-x:auto;white-space:nowrap}
.pull .tool{width:6rem;color:var(--muted);font-size:.875rem}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
.actions form{margin:0}
nav.pages{display:flex;gap:1rem;align-items:center;margin:1rem 0}
.suggest{position:absolute;top:100%;left:0;right:0;z-index:3;list-style:none;margin:.2rem 0 0;padding:0;background:var(--bg);border:1px solid var(--line);border-radius:4px}
.suggest a{display:block;padding:.35rem .6rem;text-decoration:none}
.suggest a:hover,.suggest a:focus{background:var(--panel)}
.key{background:var(--panel);border:1px solid var(--ok);padding:.5rem 1rem;border-radius:6px}
.narrow{max-width:26rem}
`
