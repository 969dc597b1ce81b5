"""The ``critmin`` command line: parse, call :mod:`critmin.api` (and the model), present.

One package: :mod:`~critmin.cli.app` holds the Typer application and the error handling,
:mod:`~critmin.cli.output` the formats (table, JSON, CSV; the JSON cleaning the web shares),
and one plain module per command group registers its commands on import:

===================  ==========================================================
module               commands
===================  ==========================================================
``catalogue``        ``minerals``, ``nir``, ``production``, ``imports``
``data``             ``data build|info|verify|fetch-mcs|load-trade``
``risk``             ``risk``, ``eu-crm``, ``gap``, ``mineral``, ``overview``
``trade``            ``trade``, ``reconcile``
``tracker``          ``tracker``, ``tracker validate|add``
``model``            ``simulate``, ``compare``, ``scenarios``
``markets``          ``markets``
``montecarlo``       ``montecarlo``, ``stockpile``, ``project``, ``disruptions``
``exposure``         ``exposure``
``serve``            ``serve``, ``keys create|list|revoke``
===================  ==========================================================

Command modules import only typer and the standard library at module level; pandas, the
store, the model and the web stack load inside the commands, so ``critmin --help`` stays
fast (``tests/test_cli_imports.py`` checks which modules it loads).
"""

from critmin.cli.app import app, data_app, run_command  # noqa: F401
from critmin.cli.output import Format, emit, records  # noqa: F401
# Registration order is the order of ``critmin --help``: knowledge base first, then the layers above it.
from critmin.cli import catalogue, data, trade, risk, tracker, model, markets, montecarlo, exposure, serve  # noqa: F401,E402,I001


def main() -> None:
    app()


__all__ = ["app", "data_app", "main", "run_command", "Format", "emit", "records"]
