"""The report's stylesheet: screen and print, no web fonts, no scripts."""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """
:root{--ink:#1b1b1b;--muted:#555;--rule:#d6d6d6;--soft:#f5f6f7;--ok:#1e6b3a;--bad:#a61b1b;
--warn:#8a5200;--blue:#1d4f91}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
margin:0 auto;max-width:1200px;padding:.8rem 1.2rem 3rem;color:var(--ink);line-height:1.45;
font-size:15px;overflow-wrap:break-word}
header h1{font-size:1.35rem;margin:.1rem 0}
.meta{color:var(--muted);margin:.1rem 0 .5rem;font-size:.9rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:3px;font-weight:700;
font-size:.85rem;color:#fff}
.badge.ok{background:var(--ok)}.badge.failed{background:var(--bad)}
.banner{padding:.3rem .7rem;border-radius:4px;margin:.4rem 0;font-weight:600}
.banner small{font-weight:400}
.synthetic{background:#e8f1fb;border:1px solid var(--blue)}
.real{background:#fff3e0;border:1px solid #b35c00}
.danger{background:#fde8e8;border:2px solid var(--bad);color:#6b1010}
.tag{display:inline-block;padding:0 .4rem;border-radius:3px;font-weight:700;font-size:.8rem}
.tag.synthetic{color:var(--blue)}.tag.real{color:#8a3b00}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,340px),1fr));
gap:.7rem;margin:.6rem 0 1rem}
.card{border:1px solid var(--rule);border-radius:6px;padding:.5rem .8rem;background:#fff;
min-width:0}
.card.wide{grid-column:1/-1}
.card h2{font-size:1.02rem;margin:.1rem 0 .35rem;border:0;padding:0}
.card ul{margin:.2rem 0;padding-left:1.1rem}.card li{margin:.1rem 0}
.card p{margin:.3rem 0}
.why{margin:.2rem 0;font-size:.84rem;color:var(--muted)}
.small,small{font-size:.85rem;color:var(--muted)}
h2{font-size:1.2rem;border-bottom:2px solid var(--rule);padding-bottom:.15rem;margin:1.6rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
nav.toc ol{columns:2;column-gap:2rem;margin:.3rem 0;padding-left:1.3rem}
nav.toc{border:1px solid var(--rule);border-radius:6px;padding:.3rem .8rem;font-size:.92rem}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:.3rem 0 .4rem;font-size:.86rem;
font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2rem 0;caption-side:top}
th,td{border-bottom:1px solid var(--rule);padding:.2rem .55rem;vertical-align:top}
thead th{white-space:nowrap;border-bottom:2px solid #999;background:var(--soft);font-weight:600}
th.txt,td.txt,th[scope=row]{text-align:left}
td.txt{min-width:4em}td.long{min-width:18em}
th.num,td.num{text-align:right;white-space:nowrap}
tbody th[scope=row]{font-weight:500}
table.compact{font-size:.88rem;margin:.2rem 0}
table.compact th,table.compact td{padding:.1rem .45rem}
tr.st-match td,tr.v-ok td{color:var(--muted)}
tr.st-printed-figure-inconsistent th,tr.v-inconsistent th{color:var(--bad)}
tr.st-not-reproducible-from-these-extracts th,tr.v-cannot-check th{color:var(--warn)}
td.fail,.fail{color:var(--bad);font-weight:600}.okc{color:var(--ok)}
ol.footnotes{font-size:.82rem;color:var(--muted);margin:.1rem 0 .8rem;padding-left:1.4rem}
details{border:1px solid var(--rule);border-radius:6px;padding:.2rem .7rem;margin:.4rem 0}
details>summary{cursor:pointer;font-weight:600;padding:.2rem 0}
details>summary small{font-weight:400}
details[open]>summary{margin-bottom:.3rem}
.note{background:var(--soft);border-left:4px solid #999;padding:.35rem .7rem;margin:.4rem 0}
figure{margin:.6rem 0 1rem;break-inside:avoid}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88rem;color:var(--muted)}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:.8rem}
code{background:var(--soft);padding:0 .2rem;font-size:.9em}
footer{margin-top:2rem;border-top:1px solid var(--rule);padding-top:.5rem;color:var(--muted);
font-size:.85rem}
a{color:var(--blue)}
@media (max-width:700px){nav.toc ol{columns:1}body{padding:.5rem .7rem 2rem}}
@media print{
body{max-width:none;font-size:10pt;padding:0;color:#000}
nav.toc,.noprint{display:none}
a{color:#000;text-decoration:none}
.card,details,table,figure{break-inside:avoid}
details{border:0;padding:0}
details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none;font-size:11pt}
details>summary::-webkit-details-marker{display:none}
.scroll{overflow:visible}
h2{break-after:avoid}
thead{display:table-header-group}
.summary{grid-template-columns:1fr 1fr}
}
"""
