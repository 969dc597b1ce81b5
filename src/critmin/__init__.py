"""critmin: critical-minerals supply-chain security and trade policy from public data.

Importing the package is cheap; heavy libraries (pandas, DuckDB) load on first use.
The Python API lives in :mod:`critmin.api`.
"""

__version__ = "0.1.0"
