"""Entry points for the command line: ``critmin data fetch-mcs`` and ``critmin data load-trade``.

The CLI parses arguments and calls these; they do the work, report problems as
:class:`~critmin.errors.CritminError` (usage) or :class:`~critmin.errors.SourceError`
(the publisher's data or the network), and never print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from critmin.errors import CritminError, SourceError

TRADE_KINDS = ("baci", "comtrade")


def fetch_mcs(year: int, dest: Path, item_id: str | None = None, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Download the MCS data release of ``year`` into ``dest/usgs_mcs<year>/``.

    See :func:`critmin.live.usgs_release.fetch_mcs_release`. Afterwards build a snapshot
    with ``critmin data build --source-dir dest``.

    Raises
    ------
    CritminError
        ``year`` is not a plausible release year, or no item is known and none given.
    SourceError
        Download failed (:class:`~critmin.live.http.FetchError`) or the release is not
        as expected; ``dest`` is then left as it was.
    """
    from critmin.live.usgs_release import fetch_mcs_release

    if not isinstance(year, int) or not 1996 <= year <= 2100:
        raise CritminError(f"year {year!r} is not an MCS release year (for example 2026)")
    return fetch_mcs_release(year, Path(dest), item_id=item_id, progress=progress)


def load_trade(kind: str, path: Path, codes: Path | None = None, out: Path | None = None) -> pd.DataFrame:
    """Load a bilateral trade file into ``bilateral_trade`` rows, optionally writing Parquet.

    Parameters
    ----------
    kind
        ``"baci"`` (a BACI yearly CSV; ``codes`` is the release's country-code file) or
        ``"comtrade"`` (a saved Comtrade API response ``.json`` or a Comtrade ``.csv``).
    path
        The file to load.
    codes
        BACI country-code file; required for ``baci``, refused for ``comtrade``.
    out
        Parquet file to write atomically; its schema metadata (key ``critmin``) holds the
        source citation and the rows skipped, by reason.

    Returns
    -------
    DataFrame
        The rows; ``df.attrs["skipped"]`` maps each reason rows were left out to a count
        and ``df.attrs["source"]`` names the source.

    Raises
    ------
    CritminError
        Unknown ``kind``, a missing ``codes`` file for BACI, an unknown file type.
    SourceError
        The file is not as expected (see the loaders).
    """
    from dataclasses import asdict

    from critmin.live import baci, comtrade
    from critmin.live.bilateral import write_parquet

    kind = str(kind).strip().casefold()
    path = Path(path)
    if kind not in TRADE_KINDS:
        raise CritminError(f"unknown trade source {kind!r}; expected one of {', '.join(TRADE_KINDS)}")
    if not path.is_file():
        raise SourceError(path, "file not found", expected=f"a {kind} file")
    if kind == "baci":
        if codes is None:
            raise CritminError("BACI needs its country-code file (--codes country_codes_V*.csv from the same release)")
        load = baci.read_baci(path, Path(codes))
        info = baci.SOURCE_INFO
    else:
        if codes is not None:
            raise CritminError("--codes is for BACI only; Comtrade files carry ISO3 codes")
        suffix = path.suffix.casefold()
        if suffix == ".json":
            load = comtrade.parse_comtrade_json(path.read_bytes(), source_file=path.name)
        elif suffix == ".csv":
            load = comtrade.read_comtrade_csv(path)
        else:
            raise CritminError(f"{path.name}: a Comtrade file must be .json (an API response) or .csv (a download)")
        info = comtrade.SOURCE_INFO
    df = load.table
    df.attrs["skipped"] = dict(sorted(load.skipped.items()))
    df.attrs["source"] = info.source_id
    if out is not None:
        write_parquet(df, Path(out), {"source": asdict(info), "input": path.name, "rows": len(df), "skipped": df.attrs["skipped"]})
    return df
