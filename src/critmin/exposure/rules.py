"""Origin and eligibility rules as data: USMCA, a standards-based marketplace, IRC 30D.

A rule set is a YAML file (``exposure/rules/usmca.yaml``, ``club.yaml``, ``ira30d.yaml``, or
a user's own file of one of these kinds). :func:`evaluate` applies it to a bill and returns
one row per part or product and requirement: ``eligible`` is True, False, or None when the
bill does not say enough (the ``reason`` then names what is missing), never a guess.

USMCA (Chapter 4; HTSUS General Note 11). For every assembly of the bill (a line with parts
under it) critmin reports five rows, each with its verdict and the reason:

``RVC (transaction value)`` and ``RVC (net cost)`` (Art. 4.5.2, 4.5.3)::

    RVC_TV = (TV - VNM) / TV x 100        RVC_NC = (NC - VNM) / NC x 100

  ``VNM`` is the value (unit value x quantity) of the non-originating materials *including
  materials of undetermined origin* (Art. 4.5.2), so a bought part counts as originating only
  when the bill says so (``originating = yes``) or critmin finds it originating from its own
  parts; materials that are originating count in full (Art. 4.5.4). Either method may be
  used (Art. 4.5.1), so a rule's RVC test is met when either reaches its threshold, and is
  undetermined (null) when one fails and the other cannot be computed.
``tariff shift``: whether each non-originating material makes the change the product-specific
  rule requires (chapter, heading, subheading, or "from any other good"), allowing for
  excluded provisions; a material without an HTS code cannot be checked.
``de minimis (Art. 4.12)``: the value of the materials failing the change as a share of the
  transaction value; the good still originates when it is at most 10% (19 U.S.C. 4531(f)).
``USMCA originating good``: the rule's alternatives ("(A) ...; or (B) ...") each combine a
  change and an RVC test; the good originates when any alternative is met, does not when all
  fail, and is null when the bill cannot decide. A good made outside the territory fails; a
  good whose heading has no verified rule in the rule set is null, its RVC shown against the
  indicative 60/50 test. Bought materials get one row, ``originating material``, as declared.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from critmin.errors import CritminError
from critmin.snapshot.manifest import per_snapshot
from critmin.exposure.bom import Bom
from critmin.exposure.exposure import SUPPLIER, UNASSIGNED, UNKNOWN

BUILTIN = ("usmca", "ira30d", "club")
RESULT_COLUMNS = ["rule_set", "root_id", "part_id", "level", "requirement", "eligible", "value", "threshold", "reason"]


class RulesError(CritminError):
    """A rules file that cannot be used (unknown kind, missing field)."""


def rvc_transaction_value(tv, vnm):
    """``(TV - VNM) / TV * 100`` (USMCA Art. 4.5.2); TV must be > 0."""
    tv = np.asarray(tv, dtype=float)
    vnm = np.asarray(vnm, dtype=float)
    if np.any(tv <= 0):
        raise ValueError("the transaction value must be above 0")
    return (tv - vnm) / tv * 100.0


def rvc_net_cost(nc, vnm):
    """``(NC - VNM) / NC * 100`` (USMCA Art. 4.5.3); NC must be > 0."""
    nc = np.asarray(nc, dtype=float)
    vnm = np.asarray(vnm, dtype=float)
    if np.any(nc <= 0):
        raise ValueError("the net cost must be above 0")
    return (nc - vnm) / nc * 100.0


def de_minimis_ok(value_failing_shift: float, transaction_value: float, share: float = 0.10) -> bool:
    """USMCA Art. 4.12.1: materials failing the tariff shift are at most ``share`` of the TV."""
    return bool(value_failing_shift <= share * transaction_value + 1e-9)


_LEVEL_DIGITS = {"chapter": 2, "heading": 4, "subheading": 6}


def tariff_shift_ok(good_hts: str, material_hts: str, level: str, except_from: tuple[str, ...] = ()) -> bool:
    """Whether a non-originating material's classification changes at ``level`` (chapter,
    heading or subheading) and does not come from an excluded provision."""
    if level == "none":
        return True
    n = _LEVEL_DIGITS[level]
    g = good_hts.replace(".", "")
    m = material_hts.replace(".", "")
    if any(m.startswith(x.replace(".", "")) for x in except_from):
        return False
    return g[:n] != m[:n]


def load_rules(spec: str | Path) -> dict:
    """A built-in rule set by name (``usmca``, ``ira30d``, ``club``) or a YAML file."""
    if str(spec) in BUILTIN:
        text = resources.files("critmin.exposure").joinpath("rules", f"{spec}.yaml").read_text(encoding="utf-8")
        where = f"built-in rules {spec}"
    else:
        path = Path(spec)
        if not path.is_file():
            raise RulesError(f"rules {spec!r}: not a built-in rule set ({', '.join(BUILTIN)}) and no such file")
        text = path.read_text(encoding="utf-8")
        where = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") not in ("usmca", "marketplace", "ira30d"):
        raise RulesError(f"{where}: field 'kind' must be usmca, marketplace or ira30d")
    data.setdefault("name", Path(str(spec)).stem)
    required = {"usmca": ["territory", "de_minimis"], "marketplace": [], "ira30d": ["critical_mineral_percentage",
                "battery_component_percentage", "fta_countries", "north_america"]}[data["kind"]]
    missing = [k for k in required if k not in data]
    if missing:
        raise RulesError(f"{where}: missing field(s) {missing}")
    return data


def evaluate(bom: Bom, paths: pd.DataFrame, rules: dict, *, year: int = 2026, kb=None) -> pd.DataFrame:
    """Apply a rule set to every part and product of a bill (see module docstring)."""
    kind = rules["kind"]
    if kind == "usmca":
        rows = _usmca(bom, rules)
    elif kind == "marketplace":
        rows = _marketplace(bom, paths, rules, kb)
    else:
        rows = _ira30d(bom, paths, rules, year)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


# ----------------------------------------------------------------------------- USMCA


def _prefixes(rule: dict) -> list[str]:
    h = rule.get("heading", rule.get("headings", []))
    return [str(x).replace(".", "") for x in ([h] if isinstance(h, (str, int)) else h)]


def _psr(rules: dict, hts: str) -> dict | None:
    """The product-specific rule for an HTS code: the one with the longest matching prefix."""
    best, best_len = None, -1
    for r in rules.get("product_specific_rules") or []:
        for h in _prefixes(r):
            if hts.startswith(h) and len(h) > best_len:
                best, best_len = r, len(h)
    return best


def _alternatives(rule: dict) -> list[dict]:
    """A rule's alternatives ("(A) ...; or (B) ..."); a rule without them is one alternative."""
    return rule.get("alternatives") or [{k: rule[k] for k in ("tariff_shift", "except_from", "rvc") if k in rule}]


def _and(*xs: bool | None) -> bool | None:
    return False if any(x is False for x in xs) else None if any(x is None for x in xs) else True


def _or(xs: list[bool | None]) -> bool | None:
    return True if any(x is True for x in xs) else None if any(x is None for x in xs) else False


def _shift_status(good: str, material: str, level: str, except_from: tuple[str, ...]) -> bool | None:
    """Whether one non-originating material undergoes the required change; None when the bill
    cannot say (no HTS code, or a ``good``-level rule and the same subheading)."""
    if level == "none":
        return True
    if not material:
        return None
    m = material.replace(".", "")
    if any(m.startswith(x.replace(".", "")) for x in except_from):
        return False
    if level == "good":  # "from any other good within that subheading or any other subheading"
        return True if m[:6] != good[:6] else None
    return tariff_shift_ok(good, material, level)


def _usmca(bom: Bom, rules: dict) -> list[dict]:
    """Each assembly's RVC by both methods, tariff shift, de minimis and the overall verdict;
    each bought material's declared status (see the module docstring for the formulas)."""
    p = bom.parts.set_index("part_id", drop=False)
    territory = set(rules["territory"])
    share = float(rules["de_minimis"]["share"])
    indicative = rules.get("indicative_thresholds", {})
    children: dict[str, list[str]] = {}
    for pid, par in zip(p["part_id"], p["parent_id"]):
        if par:
            children.setdefault(par, []).append(pid)
    status: dict[str, bool | None] = {}
    rows: list[dict] = []
    name = rules["name"]
    order = p.sort_values("depth", ascending=False)["part_id"]  # children before parents
    for pid in order:
        r = p.loc[pid]
        base = {"rule_set": name, "root_id": r["root_id"], "part_id": pid, "level": "product" if r["depth"] == 0 else "part"}

        def row(requirement, eligible, value, threshold, reason):
            rows.append({**base, "requirement": requirement, "eligible": eligible, "value": value,
                         "threshold": threshold, "reason": reason})

        kids = children.get(pid, [])
        if not kids:
            flag = r["originating_flag"]
            status[pid] = bool(flag) if flag is not None else None
            row("originating material", status[pid], None, None,
                ("declared originating in the bill" if flag else "declared non-originating in the bill") if flag is not None
                else "origin not declared: a material of undetermined origin counts as non-originating (USMCA Art. 4.5.2)")
            continue
        made_in = r["supplier_iso3"]
        if made_in not in territory:
            status[pid] = False
            row("USMCA originating good", False, None, None,
                f"produced in {made_in or 'an unstated country'}, outside the USMCA territory (Art. 4.2)")
            continue
        # non-originating materials: everything not shown originating (undetermined counts, Art. 4.5.2)
        non_orig = [k for k in kids if status.get(k) is not True]
        value = {k: p.at[k, "unit_value_usd"] * p.at[k, "quantity"] for k in kids}
        missing = [k for k in non_orig if value[k] != value[k]]
        vnm = None if missing else float(sum(value[k] for k in non_orig))
        tv, nc = r["unit_value_usd"], r["net_cost_usd"]
        tv = tv if tv == tv and tv > 0 else None
        nc = nc if nc == nc and nc > 0 else None
        rvc_tv = float(rvc_transaction_value(tv, vnm)) if tv is not None and vnm is not None else None
        rvc_nc = float(rvc_net_cost(nc, vnm)) if nc is not None and vnm is not None else None
        hts = r["hts_code"] or ""
        rule = _psr(rules, hts) if hts else None
        alts = _alternatives(rule) if rule else []
        need_tv = min((a["rvc"]["transaction_value"] for a in alts if a.get("rvc", {}).get("transaction_value")), default=None)
        need_nc = min((a["rvc"]["net_cost"] for a in alts if a.get("rvc", {}).get("net_cost")), default=None)
        why_missing = (f"value of non-originating or undetermined materials unknown (no unit_value_usd: {', '.join(missing)})"
                       if missing else "")
        rule_ref = (rule.get("rule") or f"the rule set's rule for HTS {', '.join(_prefixes(rule))}") \
            + (f" ({rule['citation']})" if rule.get("citation") else "") if rule else \
            f"no verified product-specific rule for HTS {hts or '(none given)'} in rule set {name}"

        def rvc_row(method, rvc, base_value, need, field):
            label = "TV" if field == "transaction_value" else "NC"
            if rvc is None:
                why = why_missing or f"no {'unit_value_usd (transaction value)' if label == 'TV' else 'net_cost_usd'} on the line"
                row(f"RVC ({method})", None, None, need, why)
                return
            shown = f"RVC = ({base_value:,.2f} - {vnm:,.2f}) / {base_value:,.2f} x 100 = {rvc:.1f}%"
            if need is not None:
                row(f"RVC ({method})", rvc >= need, rvc, need, f"{shown}; required {need}% ({rule_ref})")
            else:
                ind = indicative.get(field)
                row(f"RVC ({method})", None, rvc, None,
                    f"{shown}; {rule_ref}" + (f"; the indicative {ind}% ({rules.get('indicative_citation', '')}) would "
                                               f"{'pass' if rvc >= ind else 'not pass'}" if ind else ""))

        rvc_row("transaction value", rvc_tv, tv, need_tv, "transaction_value")
        rvc_row("net cost", rvc_nc, nc, need_nc, "net_cost")
        if rule is None:
            row("tariff shift", None, None, None, rule_ref)
            overall, reason = None, rule_ref
        else:
            verdicts, notes = [], []
            for i, a in enumerate(alts):
                label = chr(ord("A") + i)
                level = a.get("tariff_shift", "none")
                exc = tuple(str(x) for x in a.get("except_from", []))
                shift = {k: _shift_status(hts, p.at[k, "hts_code"] or "", level, exc) for k in non_orig}
                failing = [k for k, s in shift.items() if s is not True]
                unsure = [k for k, s in shift.items() if s is None]
                def total(ks):
                    return None if any(value[k] != value[k] for k in ks) else float(sum(value[k] for k in ks))

                fail_value = total(failing)
                within = None if fail_value is None or tv is None else de_minimis_ok(fail_value, tv, share)
                sure = [k for k in failing if k not in unsure]
                sure_value = total(sure)
                sure_over = None if sure_value is None or tv is None else not de_minimis_ok(sure_value, tv, share)
                if not failing:
                    shift_ok = True
                    note = (f"({label}) every non-originating material makes the {level} change" if level != "none"
                            else f"({label}) no change in tariff classification required")
                elif within is True:
                    shift_ok = True
                    note = (f"({label}) {', '.join(failing)} do not make (or are not shown to make) the {level} change; "
                            f"their value {fail_value:,.2f} is within de minimis ({100 * share:.0f}% of TV, Art. 4.12)")
                elif sure_over is True:
                    shift_ok = False
                    note = (f"({label}) {', '.join(sure)} do not make the {level} change; their value "
                            f"{sure_value:,.2f} exceeds de minimis ({100 * share:.0f}% of TV, Art. 4.12)")
                else:
                    shift_ok = None
                    note = (f"({label}) not determinable: "
                            + (f"the change cannot be checked for {', '.join(unsure)} (no HTS code, or the same "
                               f"subheading under a rule by good); " if unsure else "")
                            + ("de minimis cannot be checked (a value or the transaction value is missing)"
                               if within is None else "de minimis exceeded only if they fail"))
                need = a.get("rvc") or {}
                if need:
                    tests = []
                    if need.get("transaction_value"):
                        tests.append(None if rvc_tv is None else rvc_tv >= need["transaction_value"])
                    if need.get("net_cost"):
                        tests.append(None if rvc_nc is None else rvc_nc >= need["net_cost"])
                    rvc_ok = _or(tests)  # either method may be chosen (Art. 4.5.1)
                    note += f"; RVC required {need}"
                else:
                    rvc_ok = True
                verdicts.append(_and(shift_ok, rvc_ok))
                notes.append(note)
                if i == 0:
                    dm_value = None if fail_value is None or tv is None else 100 * fail_value / tv
                    row("de minimis (Art. 4.12)", within if failing else True, dm_value, 100 * share,
                        "no material fails the change" if not failing else
                        f"materials failing the change: {', '.join(failing)} (value "
                        + ("unknown" if fail_value is None else f"{fail_value:,.2f}") + ")"
                        + ("" if tv is not None else "; no transaction value to compare with"))
            shift_verdicts = [v for v, a in zip(verdicts, alts) if not a.get("rvc")]
            row("tariff shift", _or(shift_verdicts) if shift_verdicts else _or(verdicts), None, None,
                "; ".join(notes) + f" - {rule_ref}")
            overall = _or(verdicts)
            met = [chr(ord("A") + i) for i, v in enumerate(verdicts) if v is True]
            reason = (f"met by alternative {', '.join(met)}" if met else
                      "no alternative met" if overall is False else "not determinable from the bill") + f": {rule_ref}"
            if rule.get("text_source"):
                reason += f"; rule text read from {rule['text_source']}"
        status[pid] = overall if overall is not None else (r["originating_flag"] if r["originating_flag"] is not None else None)
        row("USMCA originating good", overall, rvc_tv, None, reason)
    return rows


# ----------------------------------------------------------------------------- marketplace


def _expand(codes: list[str], groups: dict[str, frozenset[str]]) -> set[str]:
    out: set[str] = set()
    for c in codes:
        out |= set(groups.get(c, {c}))
    return out


def _groups() -> dict[str, frozenset[str]]:
    from critmin.vocab import countries as vk

    g = dict(vk.groups())
    g["FTA30D"] = frozenset(load_rules("ira30d")["fta_countries"])
    return g


def _marketplace(bom: Bom, paths: pd.DataFrame, rules: dict, kb=None) -> list[dict]:
    """Each mineral line against the marketplace's rules, then each product by value share.

    A line fails when a stage is not declared and traceability is required, a country on a
    path is not allowed at its stage, or a path runs through an FEOC country; it is
    undetermined when a country is unknown or part of an inferred world share is assigned to
    no country (and traceability is not required); otherwise it meets the rules.
    """
    groups = _groups()
    allowed = {stage: _expand(list(v), groups) for stage, v in (rules.get("allowed_countries") or {}).items()}
    feoc = groups.get("FEOC", frozenset()) if rules.get("feoc_excluded") else frozenset()
    trace = bool(rules.get("traceability_required"))
    min_share = rules.get("minimum_value_share")
    name = rules["name"]
    rows = []
    line_ok: dict[str, bool | None] = {}
    parts = bom.parts.set_index("part_id")
    spend = parts["units_per_year"] * parts["unit_value_usd"]
    live = paths[paths["share_high"].to_numpy(dtype=float) > 0]
    pid = live["part_id"].astype(object).to_numpy()
    stage = live["stage"].astype(object).to_numpy()
    ctry = live["country"].astype(object).to_numpy()
    basis = live["basis"].astype(object).to_numpy()
    # each distinct (stage, country) judged once
    pair_flags = {}
    for s, c in set(zip(stage, ctry)):
        known = c not in (UNASSIGNED, UNKNOWN)
        pair_flags[(s, c)] = (known and s in allowed and c not in allowed[s], known and c in feoc)
    flags = pd.DataFrame({
        "pid": pid, "stage": stage, "country": ctry,
        "nd": trace & (stage != SUPPLIER) & (basis != "declared"),
        "unk": ctry == UNKNOWN, "unas": (ctry == UNASSIGNED) & (not trace),
        "bad": np.array([pair_flags[(s, c)][0] for s, c in zip(stage, ctry)], dtype=bool),
        "fe": np.array([pair_flags[(s, c)][1] for s, c in zip(stage, ctry)], dtype=bool),
    })
    per_stage = flags.groupby(["pid", "stage"], sort=True)[["nd", "unk", "unas", "bad", "fe"]].any()
    listing = {}
    for col in ("bad", "fe"):
        hit = flags[flags[col]][["pid", "stage", "country"]].drop_duplicates()
        listing[col] = {k: ", ".join(sorted(v)) for k, v in hit.groupby(["pid", "stage"], sort=False)["country"]}
    reasons: dict[str, list[str]] = {}
    failed: dict[str, bool] = {}
    unsure: dict[str, bool] = {}
    for (p, s), f in zip(per_stage.index, per_stage.itertuples(index=False)):
        out = reasons.setdefault(p, [])
        if f.nd:
            out.append(f"{s}: origin not declared (traceability required)")
        if f.unk:
            out.append(f"{s}: country unknown")
        if f.bad:
            out.append(f"{s}: {listing['bad'][(p, s)]} not allowed at this stage")
        if f.fe:
            out.append(f"{s}: path through FEOC country {listing['fe'][(p, s)]}")
        if f.unas:
            out.append(f"{s}: part of the inferred world share is not assigned to any country")
        failed[p] = failed.get(p, False) or bool(f.nd or f.bad or f.fe)
        unsure[p] = unsure.get(p, False) or bool(f.unk or f.unas)
    root_of = dict(zip(bom.parts["part_id"], bom.parts["root_id"]))
    for p in pd.unique(pid):
        verdict = False if failed[p] else None if unsure[p] else True
        line_ok[p] = verdict
        rows.append({"rule_set": name, "root_id": root_of[p], "part_id": p, "level": "part", "requirement": "marketplace rules",
                     "eligible": verdict, "value": None, "threshold": None,
                     "reason": "; ".join(dict.fromkeys(reasons[p])) or "every stage meets the rules"})
    root_of = dict(zip(bom.parts["part_id"], bom.parts["root_id"]))
    lines_of: dict[str, list[str]] = {}
    for pid in line_ok:
        lines_of.setdefault(root_of[pid], []).append(pid)
    for root in bom.products["part_id"]:
        lines = lines_of.get(root, [])
        values = spend.reindex(lines)
        if not lines:
            rows.append({"rule_set": name, "root_id": root, "part_id": root, "level": "product", "requirement": "marketplace rules",
                         "eligible": None, "value": None, "threshold": min_share, "reason": "no mineral lines"})
            continue
        if values.isna().any() or values.sum() <= 0:
            rows.append({"rule_set": name, "root_id": root, "part_id": root, "level": "product", "requirement": "marketplace rules",
                         "eligible": None, "value": None, "threshold": min_share,
                         "reason": "value share needs unit_value_usd on every mineral line"})
            continue
        ok = sum(values[pid] for pid in lines if line_ok[pid] is True)
        undecided = sum(values[pid] for pid in lines if line_ok[pid] is None)
        lo, hi = ok / values.sum(), (ok + undecided) / values.sum()
        if min_share is None:
            verdict = all(line_ok[pid] is True for pid in lines)
        else:
            verdict = True if lo >= min_share else False if hi < min_share else None
        rows.append({"rule_set": name, "root_id": root, "part_id": root, "level": "product", "requirement": "marketplace rules",
                     "eligible": verdict, "value": lo, "threshold": min_share,
                     "reason": f"share of mineral-line value meeting the rules {100 * lo:.1f}%"
                               + (f"-{100 * hi:.1f}%" if hi > lo else "")
                               + (f" (minimum {100 * min_share:.0f}%)" if min_share is not None else "")})
    return rows


# ----------------------------------------------------------------------------- IRC 30D


@per_snapshot(maxsize=1)
def _listed_2022() -> frozenset[str]:
    from critmin import kb
    from critmin.errors import SnapshotError
    from critmin.vocab import commodities as vc

    try:
        listed = set(kb.listed_ids(2022))
    except SnapshotError:  # no snapshot: no mineral is known to be listed
        return frozenset()
    # a group in a bill (rare earths from a magnet's published total) counts when every member is listed
    for c in vc.catalogue().values():
        members = vc.members(c.commodity_id) if c.is_group else ()
        if members and all(m in listed for m in members):
            listed.add(c.commodity_id)
    return frozenset(listed)


def _pct(table: dict, year: int) -> float:
    keys = sorted(int(k) for k in table)
    y = min(max(year, keys[0]), keys[-1])
    return float(table[y] if y in table else table[str(y)])


def _ira30d(bom: Bom, paths: pd.DataFrame, rules: dict, year: int) -> list[dict]:
    fta = set(rules["fta_countries"])
    na = set(rules["north_america"])
    feoc = _groups().get("FEOC", frozenset())
    name = rules["name"]
    parts = bom.parts.set_index("part_id", drop=False)
    spend = parts["units_per_year"] * parts["unit_value_usd"]
    listed = _listed_2022()
    rows = []
    terminated = year > int(str(rules.get("termination", {}).get("acquired_after", "9999"))[:4])
    cm_pct = _pct(rules["critical_mineral_percentage"], year)
    bc_pct = _pct(rules["battery_component_percentage"], year)
    feoc_from = rules.get("feoc_exclusion_from", {})
    # critical minerals, per line: the share of its listed minerals extracted or processed in an
    # FTA country, the better of the two stages; a line holding several listed minerals in
    # unknown value proportions gets [min over minerals of the low share, max of the high]
    g = paths[paths["commodity_id"].isin(listed) & paths["stage"].isin(["mine", "processing"])]
    ctry = g["country"].astype(object).to_numpy()
    in_fta = np.array([c in fta for c in ctry], dtype=bool)
    maybe = in_fta | np.isin(ctry, [UNASSIGNED, UNKNOWN])
    t = pd.DataFrame({"part_id": g["part_id"].astype(object).to_numpy(), "commodity_id": g["commodity_id"].astype(object).to_numpy(),
                      "stage": g["stage"].astype(object).to_numpy(),
                      "lo": np.where(in_fta, g["share_low"].to_numpy(dtype=float), 0.0),
                      "hi": np.where(maybe, g["share_high"].to_numpy(dtype=float), 0.0)})
    by_stage = t.groupby(["part_id", "commodity_id", "stage"], sort=False)[["lo", "hi"]].sum().clip(upper=1.0)
    by_mineral = by_stage.groupby(level=[0, 1], sort=False).max()
    q = by_mineral.groupby(level=0, sort=False).agg({"lo": "min", "hi": "max"})
    is_feoc = np.array([c in feoc for c in ctry], dtype=bool)
    fe = g[is_feoc]
    feoc_declared = set(fe.loc[fe["basis"].astype(object) == "declared", "part_id"].astype(object))
    feoc_any = set(fe["part_id"].astype(object))
    root_of = dict(zip(parts["part_id"], parts["root_id"]))
    cm_lines_of: dict[str, list[str]] = {}
    for pid in q.index:
        cm_lines_of.setdefault(root_of[pid], []).append(pid)
    for root in bom.products["part_id"]:
        base = {"rule_set": name, "root_id": root, "part_id": root, "level": "product"}
        cm_lines = sorted(cm_lines_of.get(root, []))
        lo_v = hi_v = tot = 0.0
        feoc_decl, feoc_maybe, missing = [], [], []
        for pid in cm_lines:
            v = spend.get(pid)
            if v is None or v != v:
                missing.append(pid)
                continue
            # a line is counted by its value; a mineral's tonnes are not split further
            lo_v += v * q.at[pid, "lo"]
            hi_v += v * q.at[pid, "hi"]
            tot += v
            if pid in feoc_any:
                (feoc_decl if pid in feoc_declared else feoc_maybe).append(pid)
        if missing or tot <= 0:
            cm = None
            cm_reason = ("critical-mineral value needs unit_value_usd on the mineral lines " + f"({', '.join(missing)})" if missing
                         else "no mineral line holds a mineral of the 2022 critical minerals list (a group such as the "
                              "platinum-group metals counts only when every member is listed)")
            lo_s = hi_s = None
        else:
            lo_s, hi_s = 100 * lo_v / tot, 100 * hi_v / tot
            cm = True if lo_s >= cm_pct else False if hi_s < cm_pct else None
            cm_reason = (f"value of listed critical minerals extracted or processed in the US or an FTA country: "
                         f"{lo_s:.1f}%" + (f"-{hi_s:.1f}%" if hi_s > lo_s + 1e-9 else "") + f" (required {cm_pct:.0f}% in {year})")
            if year >= int(feoc_from.get("critical_minerals", 9999)) and feoc_decl:
                cm = False
                cm_reason += f"; FEOC origin declared for {', '.join(feoc_decl)}"
            elif year >= int(feoc_from.get("critical_minerals", 9999)) and feoc_maybe and cm is not False:
                cm = None
                cm_reason += f"; an FEOC origin cannot be excluded for {', '.join(feoc_maybe)} (origins inferred)"
        rows.append({**base, "requirement": "critical minerals (30D(e)(1))", "eligible": cm, "value": lo_s, "threshold": cm_pct,
                     "reason": cm_reason})
        # battery components: the product's direct and indirect components with a value
        comps = parts[(parts["root_id"] == root) & (parts["depth"] > 0)]
        cv = (comps["unit_value_usd"] * comps["units_per_year"])
        if comps.empty or cv.isna().any():
            bc, bc_val, bc_reason = None, None, "battery-component value needs unit_value_usd on every component"
        else:
            leaves = comps[~comps["part_id"].isin(set(comps["parent_id"]))]
            lv = leaves["unit_value_usd"] * leaves["units_per_year"]
            total = float(lv.sum())
            in_na = float(lv[leaves["supplier_iso3"].isin(na)].sum())
            bc_val = 100 * in_na / total if total > 0 else None
            bc = None if bc_val is None else bc_val >= bc_pct
            bc_reason = (f"value of battery components made or assembled in North America {bc_val:.1f}% (required {bc_pct:.0f}% in {year})"
                         if bc_val is not None else "no component value")
            fe = leaves[leaves["supplier_iso3"].isin(feoc)]
            if year >= int(feoc_from.get("battery_components", 9999)) and not fe.empty:
                bc = False
                bc_reason += f"; components from FEOC countries: {', '.join(fe['part_id'])}"
        rows.append({**base, "requirement": "battery components (30D(e)(2))", "eligible": bc, "value": bc_val, "threshold": bc_pct,
                     "reason": bc_reason})
        overall_reason = []
        if terminated:
            overall_reason.append(f"credit terminated for vehicles acquired after {rules['termination']['acquired_after']} "
                                  f"({rules['termination']['citation'].split(';')[0]})")
        overall = False if terminated else (cm and bc if cm is not None and bc is not None else
                                            (False if cm is False and bc is False else None))
        if not terminated:
            overall_reason.append("both requirements met: 7,500 USD" if overall else
                                  "one requirement met: 3,750 USD" if (cm or bc) else "neither requirement shown to be met")
        rows.append({**base, "requirement": "clean-vehicle credit (30D)", "eligible": overall, "value": None, "threshold": None,
                     "reason": "; ".join(overall_reason)})
    return rows
