"""UN Comtrade: build API v1 queries, fetch them, and turn records into ``bilateral_trade`` rows.

Nothing here runs unless a user asks for it; critmin ships no Comtrade data, because the
UN Comtrade terms restrict redistribution. Downloaded files stay on the user's machine.

The API (assumptions, not looked up at run time)
------------------------------------------------
* Annual goods trade by HS code: ``https://comtradeapi.un.org/data/v1/get/C/A/HS`` with a
  subscription key (free tier from https://comtradedeveloper.un.org), sent in the
  ``Ocp-Apim-Subscription-Key`` header so the key never appears in a URL, a log line or an
  error message. Without a key, the keyless preview endpoint
  ``https://comtradeapi.un.org/public/v1/preview/C/A/HS`` answers the same query with at
  most 500 records.
* Query parameters: ``reporterCode`` and ``partnerCode`` (Comtrade's numeric area codes,
  mostly UN M49; ``0`` is World; comma-separated lists allowed; no ``partnerCode`` means
  all partners), ``period`` (years, comma-separated), ``cmdCode`` (HS codes),
  ``flowCode`` (``M`` imports, ``X`` exports), and fixed ``partner2Code=0``,
  ``customsCode=C00``, ``motCode=0`` so that only totals over second partner, customs
  procedure and mode of transport come back (the classic view), ``maxRecords``,
  ``includeDesc=true``.
* Comtrade's area codes differ from ISO 3166 numeric codes for a few reporters; the ones
  this module knows are in :data:`COMTRADE_AREA_CODES` (USA 842, France 251, India 699,
  Switzerland 757, Norway 579, Taiwan as "Other Asia, nes" 490). For other ISO3 codes the
  ISO numeric code is used. Pass numeric codes to be exact; Comtrade publishes its list at
  ``https://comtradeapi.un.org/files/v1/app/reference/Reporters.json``.
* The response is JSON ``{"count": n, "data": [record, ...], "error": ""}``; an error
  response carries ``statusCode`` and ``message``.

Records
-------
Fields used: ``reporterISO``, ``partnerISO``, ``flowCode`` (``M``/``X``), ``cmdCode``,
``refYear`` (else ``period``), ``freqCode``, ``classificationCode`` (``H0``..``H6``),
``primaryValue`` (US$), ``netWgt`` (kg) and ``isNetWgtEstimated``, ``qty``,
``qtyUnitAbbr`` and ``isQtyEstimated``, and the breakdown fields ``partner2ISO`` /
``partner2Code``, ``customsCode``, ``motCode``. CSV files downloaded from the Comtrade
website carry the same column names (UTF-8, often with a byte-order mark).

Mapping to ``bilateral_trade``
------------------------------
* ``M`` (reported imports): importer = reporter, exporter = partner (country of origin);
  ``X`` (reported exports): exporter = reporter, importer = partner. ``dataset`` keeps the
  reporting side: ``comtrade:imports`` or ``comtrade:exports``, because the two mirror
  figures of one flow differ (CIF vs FOB, timing, confidentiality) and must not be mixed.
* ``quantity_t`` is ``netWgt / 1000``; ``quantity_qualifier`` is ``estimated`` when
  ``isNetWgtEstimated`` is true, else ``exact``. When ``netWgt`` is absent the quantity
  falls back to ``qty`` if its unit is ``kg``. A weight that is absent is null with
  ``missing``; a weight of 0 next to a non-zero value is Comtrade's way of saying "not
  reported" and becomes null with ``not_available``. A missing weight is never 0.
* Countries go through :func:`critmin.vocab.countries.resolve_code`. Rows are left out,
  and counted in ``skipped`` by reason, when the partner or reporter is World (``W00``) or
  another aggregate or unspecified area (codes with digits or underscores such as ``S19``
  "Other Asia, nes", ``_X`` "Areas, nes"); when the flow is not ``M``/``X`` (re-exports,
  re-imports); when the record is a breakdown by second partner, customs procedure or
  mode of transport; when it is not annual; or when ``cmdCode`` is not an HS code
  (``TOTAL``). A three-letter code that is not ISO 3166 fails with
  :class:`~critmin.errors.UnmappedNameError` naming the file, record and field.
* ``cmdCode`` loses its leading zero when a spreadsheet has read it as a number
  (``80510``); odd-length codes are padded (:func:`~critmin.live.hs_commodities.normalise_hs`).
* ``source_row`` is the 1-based position of the record in the ``data`` array for JSON, and
  the CSV line (header = row 1) for CSV.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from critmin.errors import CritminError, SourceError, UnmappedNameError
from critmin.live import http
from critmin.live.bilateral import UNKNOWN, TradeLoad, classify_code, hs_revision, typed_table
from critmin.live.hs_commodities import commodities_for_hs, normalise_hs
from critmin.sources.base import SourceInfo, read_csv_rows

DATA_URL = "https://comtradeapi.un.org/data/v1/get/C/A/HS"
PREVIEW_URL = "https://comtradeapi.un.org/public/v1/preview/C/A/HS"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
PREVIEW_MAX_RECORDS = 500
DATA_MAX_RECORDS = 100_000

#: ISO3 -> Comtrade area code where Comtrade does not use the ISO 3166 numeric code.
COMTRADE_AREA_CODES: dict[str, int] = {"USA": 842, "FRA": 251, "IND": 699, "CHE": 757, "NOR": 579, "TWN": 490}

SOURCE_INFO = SourceInfo(
    source_id="un_comtrade",
    title="UN Comtrade Database, annual goods trade by HS code (API v1)",
    publisher="United Nations Statistics Division",
    citation="United Nations, UN Comtrade Database, https://comtradeplus.un.org/ (data retrieved through the Comtrade API v1)",
    licence="UN Comtrade terms of use: free to use; redistribution of the data is restricted, so critmin ships none",
    url="https://comtradeplus.un.org/",
    notes="Loaded by critmin.live.comtrade on the user's machine; never committed.",
)

_FLOWS = {"M": "M", "X": "X", "IMPORT": "M", "IMPORTS": "M", "EXPORT": "X", "EXPORTS": "X"}
REQUIRED_FIELDS = ("reporterISO", "partnerISO", "flowCode", "cmdCode", "primaryValue")


# ---------------------------------------------------------------------------- queries


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    return list(value)  # type: ignore[arg-type]


def area_code(area: object, *, role: str = "reporter") -> int:
    """A Comtrade area code from an ISO3 code (``"USA"``), a number, or ``"world"`` (0).

    Raises
    ------
    CritminError
        Neither a known ISO3 code nor a number.
    """
    if isinstance(area, bool):
        raise CritminError(f"{role} {area!r} is not an area code")
    if isinstance(area, int):
        return area
    text = str(area).strip()
    if text.isdigit():
        return int(text)
    if text.casefold() in ("world", "w00"):
        return 0
    kind, iso3 = classify_code(text)
    if kind != "country" or iso3 is None:
        raise CritminError(f"{role} {area!r} is not an ISO 3166 alpha-3 code or a Comtrade numeric area code")
    if iso3 in COMTRADE_AREA_CODES:
        return COMTRADE_AREA_CODES[iso3]
    import pycountry

    country = pycountry.countries.get(alpha_3=iso3) or pycountry.historic_countries.get(alpha_3=iso3)
    numeric = getattr(country, "numeric", None)
    if not numeric:
        raise CritminError(f"{role} {area!r} has no numeric code; pass Comtrade's numeric area code instead")
    return int(numeric)


def _flow_codes(flow: object) -> list[str]:
    items = _as_list(flow)
    if len(items) == 1 and str(items[0]).strip().casefold() in ("both", "all"):
        return ["M", "X"]
    out: list[str] = []
    for item in items:
        code = _FLOWS.get(str(item).strip().upper())
        if code is None:
            raise CritminError(f"flow {item!r} is not one of M (imports), X (exports) or 'both'")
        if code not in out:
            out.append(code)
    if not out:
        raise CritminError("no flow given; expected M (imports), X (exports) or 'both'")
    return out


def comtrade_url(
    reporter: object,
    partner: object,
    hs_codes: Iterable[object] | str,
    years: Iterable[int] | int,
    flow: object,
    subscription_key: str | None = None,
) -> str:
    """The API v1 URL for annual HS trade of ``reporter`` with ``partner``.

    Parameters
    ----------
    reporter
        ISO3 code(s) or Comtrade numeric area code(s).
    partner
        Same, or ``None`` / ``"all"`` for every partner, ``"world"`` for the World total.
    hs_codes
        HS codes of 2, 4 or 6 digits (leading zeros restored).
    years
        One year or several.
    flow
        ``"M"``, ``"X"``, ``["M", "X"]`` or ``"both"``.
    subscription_key
        With a key the URL is the ``data/v1/get`` endpoint (the key itself travels in the
        ``Ocp-Apim-Subscription-Key`` header, see :func:`fetch_comtrade`); without one,
        the keyless ``public/v1/preview`` endpoint (at most 500 records).

    Raises
    ------
    CritminError
        An unknown area, HS code, year or flow.
    """
    reporters = [area_code(r) for r in _as_list(reporter)]
    if not reporters:
        raise CritminError("no reporter given; expected an ISO3 code or a Comtrade area code")
    partner_items = _as_list(partner)
    all_partners = not partner_items or (len(partner_items) == 1 and str(partner_items[0]).strip().casefold() == "all")
    partners = [] if all_partners else [area_code(p, role="partner") for p in partner_items]
    codes = []
    for raw in _as_list(hs_codes):
        code = normalise_hs(raw)
        if not code.isdigit() or len(code) not in (2, 4, 6):
            raise CritminError(f"HS code {raw!r} is not a 2-, 4- or 6-digit code")
        codes.append(code)
    if not codes:
        raise CritminError("no HS code given")
    year_list = []
    for y in _as_list(years):
        try:
            year = int(y)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise CritminError(f"year {y!r} is not a year") from None
        if not 1962 <= year <= 2100:
            raise CritminError(f"year {y!r} is outside the years Comtrade covers (1962 onwards)")
        year_list.append(year)
    if not year_list:
        raise CritminError("no year given")
    params: dict[str, str] = {"reporterCode": ",".join(map(str, reporters)), "period": ",".join(map(str, year_list))}
    if partners:
        params["partnerCode"] = ",".join(map(str, partners))
    params.update(
        {
            "partner2Code": "0",
            "cmdCode": ",".join(codes),
            "flowCode": ",".join(_flow_codes(flow)),
            "customsCode": "C00",
            "motCode": "0",
            "maxRecords": str(DATA_MAX_RECORDS if subscription_key else PREVIEW_MAX_RECORDS),
            "includeDesc": "true",
        }
    )
    base = DATA_URL if subscription_key else PREVIEW_URL
    return f"{base}?{urllib.parse.urlencode(params, safe=',')}"


def fetch_comtrade(
    reporter: object,
    partner: object,
    hs_codes: Iterable[object] | str,
    years: Iterable[int] | int,
    flow: object,
    subscription_key: str | None = None,
    *,
    save_to: Path | None = None,
    opener: http.Opener | None = None,
    policy: http.FetchPolicy = http.DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> TradeLoad:
    """Query the Comtrade API and return ``bilateral_trade`` rows.

    Parameters
    ----------
    reporter, partner, hs_codes, years, flow, subscription_key
        See :func:`comtrade_url`.
    save_to
        Where to keep the raw JSON response (written atomically), for provenance and
        re-loading with ``load_trade("comtrade", path)``. ``source_file`` then names this
        file; otherwise it is the query URL.
    opener, policy, sleep
        See :func:`critmin.live.http.fetch_bytes`; tests pass a fake opener.

    Raises
    ------
    FetchError
        The request failed.
    SourceError
        The API answered with an error, or with as many records as ``maxRecords`` allows
        (the answer is then probably cut off: split the query).
    """
    url = comtrade_url(reporter, partner, hs_codes, years, flow, subscription_key)
    headers = {KEY_HEADER: subscription_key} if subscription_key else {}
    body = http.fetch_bytes(url, opener=opener, headers={"Accept": "application/json", **headers}, policy=policy, sleep=sleep)
    source = http.redact(url)
    payload = _decode_json(body, source)
    records = _records(payload, source)
    limit = DATA_MAX_RECORDS if subscription_key else PREVIEW_MAX_RECORDS
    if len(records) >= limit:
        raise SourceError(
            source,
            f"the query returned {len(records)} records, the most this endpoint returns, so the answer is probably cut off",
            expected="fewer records: split the query by year, reporter or HS code" + ("" if subscription_key else ", or use a subscription key"),
        )
    if save_to is not None:
        save_to = Path(save_to)
        save_to.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{save_to.name}.", suffix=".part", dir=save_to.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, save_to)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        source = save_to.name
    return _load(((i, rec) for i, rec in enumerate(records, start=1)), source)


# ---------------------------------------------------------------------------- parsing


def _decode_json(body: bytes | str, source: str) -> Any:
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(source, f"not a JSON document ({exc})", expected="a UN Comtrade API response in JSON") from None


def _records(payload: Any, source: str) -> list[Mapping[str, Any]]:
    if isinstance(payload, list):
        records = payload
    elif isinstance(payload, Mapping):
        status = payload.get("statusCode")
        if isinstance(status, int) and status >= 400:
            raise SourceError(source, f"the API answered with status {status}: {payload.get('message', '')}".strip(), expected="a data response")
        error = payload.get("error")
        if error:
            raise SourceError(source, f"the API reported an error: {error}", expected="a response with an empty 'error'")
        if "data" not in payload:
            raise SourceError(source, "no 'data' array in the response", field="data", expected="a UN Comtrade API response", found=sorted(payload)[:8])
        records = payload["data"] or []
    else:
        raise SourceError(source, "the response is neither an object nor an array", expected="a UN Comtrade API response")
    if not isinstance(records, list):
        raise SourceError(source, "'data' is not an array", field="data", expected="an array of records")
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, Mapping):
            raise SourceError(source, "record is not an object", row=i, expected="a JSON object per record")
    return records


def parse_comtrade_json(payload: Mapping[str, Any] | list | str | bytes, *, source_file: str = "<comtrade-json>") -> TradeLoad:
    """Turn a Comtrade API response into ``bilateral_trade`` rows.

    Parameters
    ----------
    payload
        The decoded response (``{"data": [...]}``), a bare list of records, or the JSON
        text or bytes.
    source_file
        Recorded in ``source_file``: the saved file's name or the query URL.

    Returns
    -------
    TradeLoad
        ``table`` and ``skipped`` (rows left out, by reason).
    """
    if isinstance(payload, (str, bytes)):
        payload = _decode_json(payload, source_file)
    records = _records(payload, source_file)
    return _load(((i, rec) for i, rec in enumerate(records, start=1)), source_file)


def read_comtrade_csv(path: Path, *, source_file: str | None = None) -> TradeLoad:
    """Read a CSV downloaded from UN Comtrade (same field names as the API).

    Raises
    ------
    SourceError
        Missing columns, a bad number, undecodable bytes (the file must be UTF-8).
    UnmappedNameError
        A three-letter country code that is not ISO 3166.
    """
    path = Path(path)
    _, rows = read_csv_rows(path, "utf-8-sig", required=REQUIRED_FIELDS)
    return _load(rows, source_file or path.name)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and value.strip() == "")


def _number(rec: Mapping[str, Any], key: str, source: str, row: int) -> float | None:
    value = rec.get(key)
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise SourceError(source, "expected a number, found a boolean", row=row, field=key, found=value)
    try:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise SourceError(source, "not a number", row=row, field=key, found=value, expected="a number or a blank") from None
    if math.isnan(number) or math.isinf(number):
        return None
    if number < 0:
        raise SourceError(source, "negative amount", row=row, field=key, found=value, expected="a value of zero or more")
    return number


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().casefold() in ("true", "1", "yes", "t")


def _is_total(value: object, totals: tuple[str, ...]) -> bool:
    if _blank(value):
        return True
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.upper() in totals


def _weight(rec: Mapping[str, Any], value: float | None, source: str, row: int) -> tuple[float | None, str]:
    """``(quantity_t, quantity_qualifier)`` from ``netWgt`` (kg), else ``qty`` when in kg."""
    weight = _number(rec, "netWgt", source, row)
    if weight is not None and (weight > 0 or not value):
        return weight / 1000.0, "estimated" if _flag(rec.get("isNetWgtEstimated")) else "exact"
    qty = _number(rec, "qty", source, row)
    unit = str(rec.get("qtyUnitAbbr") or "").strip().casefold()
    if qty is not None and unit == "kg" and (qty > 0 or not value):
        return qty / 1000.0, "estimated" if _flag(rec.get("isQtyEstimated")) else "exact"
    return None, "missing" if weight is None else "not_available"


def _load(records: Iterable[tuple[int, Mapping[str, Any]]] | Iterator[tuple[int, Mapping[str, Any]]], source: str) -> TradeLoad:
    skipped: Counter = Counter()
    rows: list[dict[str, object]] = []
    codes: dict[str, tuple[str, str | None]] = {}

    def country(rec: Mapping[str, Any], key: str, row: int) -> tuple[str, str | None]:
        raw = rec.get(key)
        code = "" if _blank(raw) else str(raw).strip().upper()
        if code not in codes:
            codes[code] = classify_code(code)
        kind, iso3 = codes[code]
        if kind == UNKNOWN:
            raise UnmappedNameError(
                source,
                "unmapped country code",
                row=row,
                field=key,
                found=raw,
                expected="an ISO 3166 alpha-3 code, a Comtrade aggregate (W00, S19, _X, ...) or a code in critmin/vocab/country_code_aliases.csv",
            )
        return code, iso3

    for row, rec in records:
        missing = [f for f in REQUIRED_FIELDS if f not in rec]
        if missing:
            raise SourceError(source, f"record lacks field(s) {missing}", row=row, field=missing[0], expected=f"fields {list(REQUIRED_FIELDS)}")
        freq = str(rec.get("freqCode") or "A").strip().upper()
        if freq != "A":
            skipped[f"non-annual record (freqCode {freq})"] += 1
            continue
        flow = str(rec.get("flowCode") or "").strip().upper()
        if flow not in ("M", "X"):
            skipped[f"flow {flow or 'blank'} (only M imports and X exports are held)"] += 1
            continue
        if not (_is_total(rec.get("partner2Code"), ("0",)) and _is_total(rec.get("partner2ISO"), ("W00",))):
            skipped["breakdown by second partner"] += 1
            continue
        if not _is_total(rec.get("customsCode"), ("C00",)):
            skipped["breakdown by customs procedure"] += 1
            continue
        if not _is_total(rec.get("motCode"), ("0",)):
            skipped["breakdown by mode of transport"] += 1
            continue
        hs = normalise_hs("" if _blank(rec.get("cmdCode")) else rec.get("cmdCode"))
        if not hs.isdigit():
            skipped[f"cmdCode {hs or 'blank'} (not an HS code)"] += 1
            continue
        reporter_code, reporter = country(rec, "reporterISO", row)
        partner_code, partner = country(rec, "partnerISO", row)
        if reporter is None:
            skipped[f"reporter is an aggregate or unspecified area ({reporter_code})"] += 1
            continue
        if partner is None:
            reason = "partner is World (W00)" if partner_code == "W00" else f"partner is an aggregate or unspecified area ({partner_code})"
            skipped[reason] += 1
            continue
        year_text = rec.get("refYear")
        if _blank(year_text):
            year_text = str(rec.get("period") or "")[:4]
        try:
            year = int(float(str(year_text).strip()))
        except ValueError:
            raise SourceError(source, "no year", row=row, field="refYear", found=year_text, expected="refYear or period as a year") from None
        value = _number(rec, "primaryValue", source, row)
        quantity, qualifier = _weight(rec, value, source, row)
        exporter, importer = (partner, reporter) if flow == "M" else (reporter, partner)
        rows.append(
            {
                "dataset": "comtrade:imports" if flow == "M" else "comtrade:exports",
                "exporter_iso3": exporter,
                "importer_iso3": importer,
                "hs": hs,
                "hs_revision": hs_revision(rec.get("classificationCode")),
                "commodity_ids": list(commodities_for_hs(hs)),
                "year": year,
                "value_usd": value,
                "quantity_t": quantity,
                "quantity_qualifier": qualifier,
                "source_id": SOURCE_INFO.source_id,
                "source_file": source,
                "source_row": row,
            }
        )
    return TradeLoad(typed_table(rows), skipped)
