"""Origin and eligibility rules as data: USMCA, a standards-based marketplace, IRC 30D.

A rule set is a YAML file (``exposure/rules/usmca.yaml``, ``club.yaml``, ``ira30d.yaml``, or
a user's own file of one of these kinds). :func:`evaluate` applies it to a bill and returns
one row per part or product and requirement: ``eligible`` is True, False, or None when the
bill does not say enough (the ``reason`` then names what is missing), never a guess.

USMCA formulas (Article 4.5)::

    RVC_TV = (TV - VNM) / TV x 100        RVC_NC = (NC - VNM) / NC x 100

``VNM`` is the value of non-originating materials *including materials of undetermined
origin* (Art. 4.5.2), so a bought part counts as originating only when the bill says so
(``originating = yes``) or critmin finds it originating from its own children. De minimis
(Art. 4.12.1): non-originating materials that fail the tariff shift are allowed up to 10% of
the transaction value. Materials that are themselves originating count in full (Art. 4.5.4).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from critmin.errors import CritminError
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
    return value_failing_shift <= share * transaction_value + 1e-9


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


def _psr(rules: dict, hts: str) -> dict | None:
    best = None
    for r in rules.get("product_specific_rules") or []:
        h = str(r["heading"]).replace(".", "")
        if hts.startswith(h) and (best is None or len(h) > len(str(best["heading"]).replace(".", ""))):
            best = r
    return best


def _usmca(bom: Bom, rules: dict) -> list[dict]:
    p = bom.parts.set_index("part_id", drop=False)
    territory = set(rules["territory"])
    share = float(rules["de_minimis"]["share"])
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
        kids = children.get(pid, [])
        if not kids:
            flag = r["originating_flag"]
            status[pid] = bool(flag) if flag is not None else None
            reason = ("declared originating in the bill" if flag else "declared non-originating in the bill") if flag is not None \
                else "origin not declared: a material of undetermined origin counts as non-originating (USMCA Art. 4.5.2)"
            rows.append({**base, "requirement": "originating material", "eligible": status[pid], "value": None,
                         "threshold": None, "reason": reason})
            continue
        reasons = []
        made_in = r["supplier_iso3"]
        vnm = 0.0
        missing_value = []
        failing = []
        for k in kids:
            c = p.loc[k]
            value = c["unit_value_usd"] * c["quantity"]
            originating = status.get(k)
            if originating is not True:
                if value != value:
                    missing_value.append(k)
                else:
                    vnm += value
                failing.append(k)
        tv, nc = r["unit_value_usd"], r["net_cost_usd"]
        rvc_tv = float(rvc_transaction_value(tv, vnm)) if tv == tv and tv > 0 else None
        rvc_nc = float(rvc_net_cost(nc, vnm)) if nc == nc and nc > 0 else None
        shown = []
        if rvc_tv is not None:
            shown.append(f"RVC (transaction value) {rvc_tv:.1f}% = ({tv:,.2f} - {vnm:,.2f}) / {tv:,.2f}")
        if rvc_nc is not None:
            shown.append(f"RVC (net cost) {rvc_nc:.1f}% = ({nc:,.2f} - {vnm:,.2f}) / {nc:,.2f}")
        eligible: bool | None
        if made_in not in territory:
            eligible = False
            reasons.append(f"produced in {made_in or 'an unstated country'}, outside the USMCA territory")
        elif missing_value:
            eligible = None
            reasons.append(f"non-originating or undetermined parts without unit_value_usd: {', '.join(missing_value)}")
        else:
            rule = _psr(rules, r["hts_code"]) if r["hts_code"] else None
            if rule is None:
                eligible = None
                th = rules.get("indicative_thresholds", {})
                reasons.append(
                    f"no verified product-specific rule for HTS {r['hts_code'] or '(none given)'} in rule set {name}; "
                    f"indicative test {th.get('transaction_value')}% TV / {th.get('net_cost')}% NC "
                    f"({rules.get('indicative_citation', '')}) would "
                    + ("pass" if (rvc_tv or -1) >= th.get("transaction_value", 101) or (rvc_nc or -1) >= th.get("net_cost", 101) else "not pass"))
            else:
                level = rule.get("tariff_shift", "none")
                exc = tuple(str(x) for x in rule.get("except_from", []))
                bad_shift = [k for k in failing if not p.loc[k, "hts_code"] or not tariff_shift_ok(r["hts_code"], p.loc[k, "hts_code"], level, exc)]
                bad_value = sum(p.loc[k, "unit_value_usd"] * p.loc[k, "quantity"] for k in bad_shift)
                ok_shift = not bad_shift or (tv == tv and de_minimis_ok(bad_value, tv, share))
                if bad_shift:
                    reasons.append(f"materials failing the {level} shift: {', '.join(bad_shift)} (value {bad_value:,.2f}); "
                                   + ("within de minimis 10% of TV (Art. 4.12)" if ok_shift else "above de minimis"))
                need = rule.get("rvc")
                ok_rvc = True
                if need:
                    ok_rvc = (rvc_tv is not None and rvc_tv >= need.get("transaction_value", 101)) or \
                             (rvc_nc is not None and rvc_nc >= need.get("net_cost", 101))
                    reasons.append(f"RVC required {need} ({rule.get('citation', '')})")
                eligible = bool(ok_shift and ok_rvc)
        reasons = shown + reasons
        status[pid] = eligible if eligible is not None else (r["originating_flag"] if r["originating_flag"] is not None else None)
        rows.append({**base, "requirement": "USMCA originating good", "eligible": eligible, "value": rvc_tv,
                     "threshold": None, "reason": "; ".join(reasons)})
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
    groups = _groups()
    allowed = {stage: _expand(list(v), groups) for stage, v in (rules.get("allowed_countries") or {}).items()}
    feoc = groups.get("FEOC", frozenset()) if rules.get("feoc_excluded") else frozenset()
    trace = bool(rules.get("traceability_required"))
    min_share = rules.get("minimum_value_share")
    name = rules["name"]
    rows = []
    line_ok: dict[str, bool | None] = {}
    spend = bom.parts.set_index("part_id")["units_per_year"] * bom.parts.set_index("part_id")["unit_value_usd"]
    for (root, pid), g in paths.groupby(["root_id", "part_id"], sort=False):
        reasons = []
        verdict: bool | None = True
        live = g[g["share_high"] > 0]
        for stage, sg in live.groupby("stage"):
            if trace and stage != SUPPLIER and (sg["basis"] != "declared").any():
                verdict = False
                reasons.append(f"{stage}: origin not declared (traceability required)")
            if (sg["country"] == UNKNOWN).any():
                verdict = False if verdict is not None else None
                reasons.append(f"{stage}: country unknown")
            bad = sg[~sg["country"].isin([UNASSIGNED, UNKNOWN]) & ~sg["country"].isin(allowed.get(stage, sg["country"]))]
            if not bad.empty:
                verdict = False
                reasons.append(f"{stage}: {', '.join(sorted(set(bad['country'])))} not allowed at this stage")
            fe = sg[sg["country"].isin(feoc)]
            if not fe.empty:
                verdict = False
                reasons.append(f"{stage}: path through FEOC country {', '.join(sorted(set(fe['country'])))}")
            if (sg["country"] == UNASSIGNED).any() and not trace:
                verdict = None if verdict else verdict
                reasons.append(f"{stage}: part of the inferred world share is not assigned to any country")
        line_ok[pid] = verdict
        rows.append({"rule_set": name, "root_id": root, "part_id": pid, "level": "part", "requirement": "marketplace rules",
                     "eligible": verdict, "value": None, "threshold": None,
                     "reason": "; ".join(dict.fromkeys(reasons)) or "every stage meets the rules"})
    for root in bom.products["part_id"]:
        lines = [pid for pid in line_ok if bom.parts.set_index("part_id").at[pid, "root_id"] == root]
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


@cache
def _listed_2022() -> frozenset[str]:
    from critmin import store

    try:
        rows = store.query("SELECT commodity_id FROM critical_lists WHERE list_year = 2022 AND on_list")
    except Exception:
        return frozenset()
    return frozenset(rows["commodity_id"])


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
    for root in bom.products["part_id"]:
        base = {"rule_set": name, "root_id": root, "part_id": root, "level": "product"}
        # critical minerals: lines whose minerals are listed
        g = paths[(paths["root_id"] == root) & paths["commodity_id"].isin(listed) & paths["stage"].isin(["mine", "processing"])]
        cm_lines = sorted(set(g["part_id"]))
        lo_v = hi_v = tot = 0.0
        feoc_decl, feoc_maybe, missing = [], [], []
        for pid in cm_lines:
            v = spend.get(pid)
            if v is None or v != v:
                missing.append(pid)
                continue
            lg = g[g["part_id"] == pid]
            # best stage share in FTA countries (extracted OR processed)
            q_lo = max(lg[(lg["stage"] == s) & lg["country"].isin(fta)]["share_low"].sum() for s in ("mine", "processing"))
            q_hi = max(min(1.0, lg[(lg["stage"] == s) & lg["country"].isin(fta | {UNASSIGNED, UNKNOWN})]["share_high"].sum())
                       for s in ("mine", "processing"))
            # a line is counted by its value; a mineral's tonnes are not split further
            lo_v += v * min(1.0, q_lo)
            hi_v += v * q_hi
            tot += v
            fe = lg[lg["country"].isin(feoc)]
            if not fe.empty:
                (feoc_decl if (fe["basis"] == "declared").any() else feoc_maybe).append(pid)
        if missing or tot <= 0:
            cm = None
            cm_reason = "critical-mineral value needs unit_value_usd on the mineral lines" + (f" ({', '.join(missing)})" if missing else "")
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
