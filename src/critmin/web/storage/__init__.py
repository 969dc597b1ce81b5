"""The web layer's own database: API keys, saved scenarios and their runs.

:mod:`~critmin.web.storage.db`
    SQLAlchemy Core tables and plain functions over an engine (SQLite by default, any
    SQLAlchemy URL through ``$CRITMIN_DB_URL``).
:mod:`~critmin.web.storage.keys`
    API keys: created once, stored as salted SHA-256, required for writes.
``migrations/``
    The Alembic migrations :func:`~critmin.web.storage.db.migrate` runs to ``head`` when the
    app starts (``script_location`` is this folder's ``migrations``).

User data, not published data: it never mixes with the knowledge base (:mod:`critmin.kb`).
"""
