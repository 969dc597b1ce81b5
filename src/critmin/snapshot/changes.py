"""Row counts of a new build against the manifest of the previous one.

A build that silently reads fewer rows than the last one is how a truncated or half-copied
file shows up when nothing else catches it. After the readers ran (and before anything is
written), :func:`compare` matches every source of the new build with the same source in the
previous manifest (the snapshot at the target, or else the package's own snapshot), file by
file and table by table:

* every difference is reported (``RowChange.message``);
* these need the build to be told to accept them (``critmin data build
  --accept-row-changes``), otherwise the build fails and nothing is written:

  - a raw file whose SHA-256 is unchanged but whose data rows read differ (the same bytes
    must give the same rows; a change means the reading changed), and a source whose files
    are all unchanged but whose rows in a table differ;
  - a file read last time that is not read now;
  - a drop of more than :data:`DROP_TOLERANCE` (1 %) of a file's data rows or of a
    source's rows in a table, whatever the reason (a new release of a file that has
    fewer rows, or a file cut short).

New sources and new files are reported as such. Rises are reported and need nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Largest share of a file's or a table's rows that may disappear without acceptance.
DROP_TOLERANCE = 0.01


@dataclass(frozen=True)
class RowChange:
    source_id: str
    message: str
    needs_acceptance: bool


def _dropped_too_much(before: int, after: int) -> bool:
    return after < before and (before - after) > DROP_TOLERANCE * before


def compare(previous: dict | None, results: list, file_info: dict[str, dict]) -> list[RowChange]:
    """Row changes of ``results`` against the ``previous`` manifest.

    ``file_info`` maps each raw file's relative path to its ``{"sha256", "bytes"}``.
    """
    if not previous:
        return []
    before = {s["source_id"]: s for s in previous.get("sources", [])}
    out: list[RowChange] = []
    for res in results:
        sid = res.info.source_id
        prev = before.get(sid)
        if prev is None:
            continue
        prev_files = {f["path"]: f for f in prev.get("files", [])}
        unchanged = bool(prev_files) and set(prev_files) == set(res.file_rows) and all(
            prev_files[p]["sha256"] == file_info[p]["sha256"] for p in res.file_rows
        )
        for path, rows in sorted(res.file_rows.items()):
            p = prev_files.get(path)
            if p is None:
                out.append(RowChange(sid, f"{sid}: new file {path} ({rows:,} data rows)", False))
                continue
            old_rows = p.get("rows")
            same_bytes = p["sha256"] == file_info[path]["sha256"]
            if old_rows is None or old_rows == rows:
                if not same_bytes:
                    out.append(RowChange(sid, f"{sid}: {path} changed (new SHA-256), {rows:,} data rows as before", False))
                continue
            if same_bytes:
                out.append(RowChange(sid, f"{sid}: {path} is unchanged but gives {rows:,} data rows instead of {old_rows:,} (the reading changed)", True))
            else:
                out.append(RowChange(sid, f"{sid}: {path} changed: {old_rows:,} -> {rows:,} data rows", _dropped_too_much(old_rows, rows)))
        for path in sorted(set(prev_files) - set(res.file_rows)):
            out.append(RowChange(sid, f"{sid}: {path} was read by the previous build and is not read now", True))
        new_rows = {t: int(len(df)) for t, df in res.tables.items() if len(df)}
        for table in sorted(set(prev.get("rows", {})) | set(new_rows)):
            a, b = int(prev.get("rows", {}).get(table, 0)), new_rows.get(table, 0)
            if a == b:
                continue
            if unchanged:
                out.append(RowChange(sid, f"{sid}: table {table}: {a:,} -> {b:,} rows from unchanged files (the reading changed)", True))
            else:
                out.append(RowChange(sid, f"{sid}: table {table}: {a:,} -> {b:,} rows", _dropped_too_much(a, b)))
    return out
