"""The REST API and the web dashboard, served by one FastAPI application.

``critmin serve`` runs :func:`critmin.web.app.create_app` under uvicorn. Modules:

app
    The application: routers, error handlers, response cache, request-size limit, warm-up.
routes_data, routes_tracker, routes_risk, routes_scenarios
    The ``/api/v1`` endpoints of the knowledge base, the policy tracker, the risk analytics
    (concentration, risk methods, prices, dossiers) and the policy model (presets, runs,
    saved scenarios, comparisons).
pages
    The dashboard's HTML shells; the pages fill themselves from the API
    (``static/js/pages/*.js``; charts in ``static/js/charts.js``; vendored map data and
    Swagger UI in ``static/vendor``).
db, migrations
    Saved scenarios, runs and API keys (SQLAlchemy Core, Alembic migrations; SQLite by
    default, any SQLAlchemy URL via ``$CRITMIN_DB_URL``).
auth
    API keys: created once, stored as salted SHA-256, required for writes.
cache, responses
    The per-snapshot response cache; tables as JSON envelopes or CSV; error bodies.

Nothing here computes a number of its own: every figure comes from :mod:`critmin.api`,
:mod:`critmin.analysis`, :mod:`critmin.model` or :mod:`critmin.report`.
"""
