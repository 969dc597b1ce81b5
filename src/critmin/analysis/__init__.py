"""Risk analytics as pure functions over the snapshot's tables.

Every function here takes DataFrames, arrays or plain values and returns new ones; none
reads a file or the store: the tables come from the query layer, :mod:`critmin.kb`
(:func:`critmin.kb.read_tables`). Each figure an interface shows has one definition here:
shares of world production (:func:`concentration.world_shares`), HHI and the top producer
(:func:`concentration.concentration_table`, :func:`concentration.stage_view`), one published
reliance per mineral and the headline counts (:func:`dependency.mineral_reliance`,
:func:`dependency.reliance_counts`, :func:`dependency.headline_list`), the overview rows and
the risk matrix (:mod:`overview`).

Modules
-------
interval
    Published values as closed intervals: ``>95`` becomes [95, 100], ``W`` stays unknown.
concentration
    HHI, top-1/top-3 and China's share per mineral, stage and year; the mining-versus-
    processing gap; the change across MCS vintages.
dependency
    Net import reliance as published and as computed from the salient statistics; US
    import shares by partner and by country group (FEOC, G7, USMCA, agreement partners,
    countries with export controls in force).
risk
    Supply-risk methods, one module each, every one named and versioned and returning its
    breakdown (:mod:`critmin.analysis.risk`).
prices
    Volatility, drawdown and growth of price series; prices around policy events.
events
    Policy events (export controls, agreements, the Section 232 decision) as dated rows.
inputs
    Assembles the per-mineral inputs of every method from the snapshot tables.
overview
    Every listed mineral on one row, and the risk matrix (reliance against concentration).
"""
