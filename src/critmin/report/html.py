"""HTML building blocks: the page shell, tables (sortable with a few lines of inline JS),
and number formatting that never prints a missing value as 0."""

from __future__ import annotations

import html
import math
from datetime import date

CSS = """
:root{--ink:#1d2430;--muted:#5b6472;--line:#dde3ea;--accent:#1f5f99;--feoc:#b03a2e}
*{box-sizing:border-box}
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--ink);margin:0;background:#f6f8fa}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:20px 0 6px}p,li{line-height:1.45;font-size:14px}.muted{color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef2f6;position:sticky;top:0}th.sortable{cursor:pointer}th.sortable:after{content:" \\2195";color:#98a2ad}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;margin:14px 0}
.kpi{border:1px solid var(--line);border-radius:6px;padding:8px 10px}.kpi b{display:block;font-size:20px}.kpi span{font-size:12px;color:var(--muted)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}@media(max-width:900px){.grid2{grid-template-columns:1fr}}
figure{margin:8px 0 14px}figcaption{font-size:12px;color:var(--muted)}
.tag{display:inline-block;font-size:11px;padding:1px 6px;border-radius:9px;background:#eef2f6;margin-right:4px}
.tag.bad{background:#f7e1de;color:var(--feoc)}.tag.ok{background:#e2f1e6;color:#2f6b42}
.scroll{overflow-x:auto}nav a{margin-right:12px;font-size:13px}
main.wide{max-width:1500px}main.wide table{font-size:11.5px}
footer{margin-top:40px;font-size:12px;color:var(--muted)}
@media print{body{background:#fff}main{padding:0}th{position:static}}
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.classList.add('sortable');
    th.addEventListener('click',function(){
      var body=t.tBodies[0],rows=Array.from(body.rows),asc=th.dataset.dir!=='asc';
      t.querySelectorAll('th').forEach(function(h){delete h.dataset.dir});th.dataset.dir=asc?'asc':'desc';
      function key(r){var c=r.cells[i];var v=c.dataset.sort!==undefined?c.dataset.sort:c.textContent.trim();
        var n=parseFloat(v);return (v!==''&&!isNaN(n)&&isFinite(v))?[0,n]:[v===''?2:1,v.toLowerCase()];}
      rows.sort(function(a,b){var x=key(a),y=key(b);if(x[0]!==y[0])return x[0]-y[0];
        if(x[1]<y[1])return asc?-1:1;if(x[1]>y[1])return asc?1:-1;return 0;});
      rows.forEach(function(r){body.appendChild(r)});
    });
  });
});
"""


def esc(x) -> str:
    return html.escape("" if x is None else str(x))


def is_missing(v) -> bool:
    if v is None:
        return True
    try:
        return isinstance(v, float) and math.isnan(v) or type(v).__name__ in ("NAType", "NaTType")
    except TypeError:
        return False


def pct(v, digits: int = 1, empty: str = "—") -> str:
    """A fraction as a percentage; a missing value prints ``—``, never 0."""
    if is_missing(v):
        return empty
    return f"{100 * float(v):.{digits}f}%"


def num(v, digits: int = 3, empty: str = "—") -> str:
    if is_missing(v):
        return empty
    v = float(v)
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f} M"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def score_cell(status: str, score, low, high, digits: int = 3) -> tuple[str, str]:
    """Display text and sort key of a risk score (bounded shows its range)."""
    if status == "ok" and not is_missing(score):
        return f"{float(score):.{digits}f}", f"{float(score):.6f}"
    if status == "bounded" and not is_missing(low):
        return f"{float(low):.{digits}f}–{float(high):.{digits}f}", f"{float(low):.6f}"
    return "insufficient data", ""


def table(rows: list[dict], columns: list[tuple[str, str]], *, sortable: bool = False, numeric: set[str] = frozenset(),
          sort_keys: dict[str, str] | None = None, table_id: str | None = None, raw: set[str] = frozenset()) -> str:
    """An HTML table. ``columns``: (key, header). ``numeric`` keys are right-aligned;
    ``sort_keys`` maps a key to the row key holding its sort value; ``raw`` keys are trusted
    HTML (built by this package), everything else is escaped."""
    sort_keys = sort_keys or {}
    cls = ' class="sortable"' if sortable else ""
    tid = f' id="{esc(table_id)}"' if table_id else ""
    head = "".join(f"<th>{esc(h)}</th>" for _, h in columns)
    body = []
    for r in rows:
        cells = []
        for k, _ in columns:
            v = r.get(k)
            text = "" if is_missing(v) else (str(v) if k in raw else esc(v))
            attrs = ' class="num"' if k in numeric else ""
            if k in sort_keys:
                attrs += f' data-sort="{esc(r.get(sort_keys[k], ""))}"'
            cells.append(f"<td{attrs}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table{cls}{tid}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def figure(svg: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def page(title: str, body: str, *, subtitle: str = "", generated: str | None = None, wide: bool = False) -> str:
    """A complete, self-contained HTML document."""
    gen = generated or date.today().isoformat()
    main = '<main class="wide">' if wide else "<main>"
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{main}"
        f"<h1>{esc(title)}</h1>" + (f'<p class="muted">{esc(subtitle)}</p>' if subtitle else "")
        + body
        + f'<footer>Generated by critmin on {esc(gen)} from its committed snapshot of the publishers\' files; '
        "no figure in this file was typed by hand. A dash (—) marks a value that is not published or not "
        "computable; it never means zero.</footer>"
        f"</main><script>{SORT_JS}</script></body></html>"
    )
