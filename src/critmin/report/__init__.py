"""HTML reports: a dossier per mineral and an overview of every critical mineral.

The reports compute nothing of their own: they call :mod:`critmin.analysis` and present
what it returns. Each is one self-contained HTML file: charts are inline SVG drawn offline
with matplotlib, styles and the table-sorting script are inline, and nothing is fetched
when the file is opened.
"""
