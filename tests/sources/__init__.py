"""Reader tests; shared helpers for them."""


def one_row(df, **where):
    """The single row of ``df`` whose columns equal ``where``; fails unless exactly one matches."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, where
    return sel.iloc[0]
