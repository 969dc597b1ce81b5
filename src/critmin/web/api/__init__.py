"""The REST API under ``/api/v1``: one router per area, all presenting :mod:`critmin.api`.

:mod:`~critmin.web.api.data`
    The knowledge base: catalogue, reliance and the headline counts, production with shares,
    US imports, sources, vintages, countries.
:mod:`~critmin.web.api.trade`
    World trade (CEPII BACI): partner shares, shares over time, a bilateral matrix.
:mod:`~critmin.web.api.risk`
    Concentration (per series, and per stage with how it was derived), supply-risk methods,
    the overview and its risk matrix, prices, dossiers (JSON and HTML).
:mod:`~critmin.web.api.tracker`
    Export controls, agreements and dates with their status on a day.
:mod:`~critmin.web.api.scenarios`
    The policy model: markets, presets, runs, saved scenarios, comparisons.
:mod:`~critmin.web.api.library`
    What the scenario builder adds: any market's base point, renaming saved scenarios, a
    comparison on one basis of units, the signed-in key.
:mod:`~critmin.web.api.admin`
    Key management for an administrator key (list, create, revoke; 401/403 otherwise).
:mod:`~critmin.web.api.responses`, :mod:`~critmin.web.api.cache`
    The envelope, CSV and errors; the response cache keyed on the snapshot's fingerprint.

No router runs SQL or computes a figure: the knowledge base is read through
:mod:`critmin.kb` by :mod:`critmin.api`, the figures are :mod:`critmin.analysis`'s.
"""

from critmin.web.api import admin, data, library, risk, scenarios, tracker, trade

#: The routers mounted under ``/api/v1``, in the order of the OpenAPI document.
ROUTERS = (data.router, trade.router, tracker.router, risk.router, scenarios.router, library.router, admin.router)
