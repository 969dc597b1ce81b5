"""The history replays (critmin.model.kb.history) re-run, and the table in docs/model.md matches them."""

from pathlib import Path

import numpy as np

from critmin.model.kb import history

DOCS = Path(__file__).resolve().parents[2] / "docs" / "model.md"
START, END = "<!-- replays:start -->", "<!-- replays:end -->"


def test_replays_run_and_the_docs_table_matches():
    df = history.replay()
    assert int(np.isfinite(df["simulated_low"]).sum()) >= 3  # at least three episodes replayed with figures
    assert df["observed_pct"].notna().all()
    text = DOCS.read_text()
    block = text[text.index(START) + len(START):text.index(END)].strip()
    assert block == history.markdown_table(df), "docs/model.md replay table differs from history.replay(): " \
        "regenerate it with python -c 'from critmin.model.kb import history; print(history.markdown_table(history.replay()))'"


def test_a_restriction_raises_the_us_price_in_every_replayed_episode():
    df = history.replay()
    done = df[np.isfinite(df["simulated_low"])]
    assert (done["simulated_low"] > 0).all()
