"""The REST API and the web dashboard, served by one FastAPI application.

``critmin serve`` runs :func:`critmin.web.app.create_app` under uvicorn.

``app``
    The application: routers, error handlers, response cache, request-size limit, warm-up.
``api/``
    The ``/api/v1`` routers (:mod:`critmin.web.api`): knowledge base, world trade, tracker,
    risk analytics and reports, the policy model; the response envelope and the response
    cache keyed on the snapshot's fingerprint.
``storage/``
    Saved scenarios, runs and API keys (:mod:`critmin.web.storage`: SQLAlchemy Core,
    Alembic migrations; SQLite by default, any SQLAlchemy URL via ``$CRITMIN_DB_URL``).
``pages/``
    The dashboard's page routes: HTML shells that fill themselves from the API.
``templates/``, ``static/``
    The shells' template and the scripts, styles and vendored assets (kept here, outside
    ``pages/``, so the front-end can be worked on by itself).

Nothing here computes a number of its own: every figure comes from :mod:`critmin.api`
(which reads the knowledge base through :mod:`critmin.kb` and computes with
:mod:`critmin.analysis`), :mod:`critmin.model` or :mod:`critmin.report`.
"""
