"""Loaders for live sources: data a user fetches with a network, never shipped with critmin.

* :mod:`critmin.live.usgs_release`: a new USGS Mineral Commodity Summaries data release
  from ScienceBase, laid out for ``critmin data build --source-dir``.
* :mod:`critmin.live.comtrade`: UN Comtrade API v1 queries and files.
* :mod:`critmin.live.baci`: CEPII BACI yearly bilateral trade files.
* :mod:`critmin.live.hs_commodities`: HS 2022 codes of critical-mineral products.
* :mod:`critmin.live.http`: the small fetch layer they share (urllib, retries, timeouts).
* :mod:`critmin.live.commands`: the functions the command line calls.

Importing this package does not touch the network. See ``docs/live_sources.md``.
"""
