"""The disruption library: the shipped CSV, its validation, and matching to a market."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.model.montecarlo import disruptions as lib


def test_the_shipped_library_is_what_the_register_gives():
    """A stale CSV (the register changed, the rates did not) fails here: rewrite it with
    ``python -m critmin.model.montecarlo.disruptions``."""
    shipped = pd.read_csv(lib.LIBRARY_PATH, dtype=str, keep_default_na=False)
    derived = lib.derive_library().astype(str).replace({"nan": ""})
    assert list(shipped["event_id"]) == list(derived["event_id"])
    for col in ("rate_a", "rate_b", "duration_a", "severity_a"):
        a = pd.to_numeric(shipped[col], errors="coerce").to_numpy()
        b = pd.to_numeric(derived[col], errors="coerce").to_numpy()
        assert np.allclose(a, b, equal_nan=True), col
    for col in ("rate_basis", "rate_source", "duration_basis", "severity_basis", "kind", "target", "exporter"):
        assert list(shipped[col]) == list(derived[col]), col


def test_every_row_has_a_basis_and_a_source():
    library = lib.load_library()
    assert len(library) > 20
    for e in library:
        assert e.rate_basis in lib.BASES and e.rate_source
        assert e.duration_basis in lib.BASES and e.duration_source
        assert e.severity_basis in lib.BASES and e.severity_source
        if e.rate_basis == "register":
            assert "register rule" in e.rate_source and "Gamma" in e.rate_source
    table = lib.library_table(library)
    assert (table["annual_probability_mean"].between(0, 1)).all()
    assert (table["annual_probability_90_low"] <= table["annual_probability_90_high"]).all()


def _write(tmp_path: Path, change: dict | None = None, drop: str | None = None, duplicate: bool = False) -> Path:
    rows = list(csv.DictReader(open(lib.LIBRARY_PATH, newline="", encoding="utf-8")))[:3]
    if change:
        rows[1].update(change)
    if duplicate:
        rows[2]["event_id"] = rows[1]["event_id"]
    cols = [c for c in lib.COLUMNS if c != drop]
    path = tmp_path / "lib.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize("change, field", [
    ({"kind": "embargo"}, "kind"), ({"target": "EU"}, "target"), ({"rate_a": "many"}, "rate_a"),
    ({"rate_basis": "rumour"}, "rate_basis"), ({"severity_source": ""}, "severity_source"),
    ({"kind": "ban", "severity_dist": "uniform", "severity_a": "0.1", "severity_b": "0.5"}, "severity_a"),
    ({"duration_dist": "fixed", "duration_a": "-1"}, "duration_a"), ({"exporter": "China"}, "exporter"),
    ({"enabled": "yes"}, "enabled"), ({"rate_dist": "gamma", "rate_b": ""}, "rate_b"),
])
def test_bad_rows_name_the_row_and_field(tmp_path, change, field):
    with pytest.raises(lib.LibraryError, match=f"row 3, field '{field}'"):
        lib.load_library(_write(tmp_path, change))


def test_missing_column_and_duplicates(tmp_path):
    with pytest.raises(lib.LibraryError, match="missing column"):
        lib.load_library(_write(tmp_path, drop="rationale"))
    with pytest.raises(lib.LibraryError, match="duplicate event id"):
        lib.load_library(_write(tmp_path, duplicate=True))
    with pytest.raises(lib.LibraryError, match="not found"):
        lib.load_library(tmp_path / "none.csv")


def test_matching_picks_the_most_specific_rows():
    library = lib.load_library()
    groups = {"JPN": "wgi_high", "IDN": "wgi_mid"}
    events, notes = lib.events_for_market(library, "gallium", "processing", ("USA", "CHN", "JPN", "ROW", "ALLIES"),
                                          "USA", groups)
    labels = {e.label for e in events}
    assert {"CHN-gallium-ban-us", "CHN-gallium-licensing"} <= labels
    assert "CHN-new-licensing@CHN" not in labels and "CHN-new-licensing" not in labels  # gallium is licensed already
    assert "restriction-wgi_high@JPN" in labels
    assert not any(e.event.kind == "outage" for e in events)  # disabled by default
    assert any("ROW" in n for n in notes) and any("ALLIES" in n for n in notes)
    # a mineral China does not license yet gets the onset row; governance rows never apply to China
    events, _ = lib.events_for_market(library, "cobalt", "mine", ("USA", "CHN", "COD", "IDN"), "USA", {"COD": "wgi_low",
                                                                                                     "IDN": "wgi_mid"})
    labels = {e.label for e in events}
    assert "CHN-new-licensing" in labels and "COD-cobalt-quota" in labels
    assert "restriction-wgi_low@COD" in labels and "restriction-wgi_mid@IDN" in labels
    assert not any(e.region == "CHN" and e.event.exporter.startswith("wgi:") for e in events)
    with_outages, _ = lib.events_for_market(library, "cobalt", "mine", ("USA", "COD"), "USA", {}, include_disabled=True)
    assert any(e.event.kind == "outage" for e in with_outages)
