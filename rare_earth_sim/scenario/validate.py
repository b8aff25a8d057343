"""Whole-file checks that a single field cannot make: references, sums, dates, routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .fields import Context
from .schema import SCHEMA

__all__ = ["validate", "product_names"]

_TOL = 1e-6


def product_names(grades: dict[str, Any]) -> list[str]:
    """Names export-control rules may use: one per magnet grade plus the two oxides."""
    return [f"magnet_{g}" for g in grades] + ["oxide_ndpr", "oxide_dytb"]


def _check_sum(ctx: Context, path: str, values: list[float], what: str) -> None:
    total = sum(values)
    if abs(total - 1.0) > _TOL:
        raise ctx.error(path, f"{what} sum to {total:.6g}", f"{what} that sum to 1")


def validate(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """Validate a scenario as read from TOML; return the normalised tree.

    Raises
    ------
    ScenarioError
        Naming ``source``, the field path, the problem and what is allowed.
    """
    ctx = Context(source)
    d = SCHEMA.validate(raw, ctx, "")
    sc = d["scenario"]
    start, end = sc["start"], sc["end"]
    if end <= start:
        raise ctx.error("scenario.end", f"{end} is not after scenario.start {start}", "an end date after the start")
    first = start - dt.timedelta(days=sc["warmup_days"])

    def in_horizon(path: str, day: dt.date | None, *, lo: dt.date = first) -> None:
        if day is not None and not (lo <= day <= end):
            raise ctx.error(path, f"{day} is outside the horizon {lo} .. {end}", f"a date from {lo} to {end}")

    def after(path: str, day: dt.date | None, begin: dt.date, begin_path: str) -> None:
        if day is not None and day <= begin:
            raise ctx.error(path, f"{day} is not after {begin_path} {begin}", f"a date after {begin}")

    def ref(path: str, value: str | None, ids: set[str], where: str) -> None:
        if value is not None and value not in ids:
            raise ctx.error(path, f"{value!r} is not defined", f"one of {sorted(ids)} (ids in {where})")

    mask = d["calendar"]["weekmask"]
    if len(mask) != 7 or set(mask) - {"0", "1"} or "1" not in mask:
        raise ctx.error("calendar.weekmask", f"{mask!r} is not a week mask",
                        "seven characters 0/1 for Monday..Sunday with at least one 1, e.g. \"1111100\"")

    for i, w in enumerate(d["disruptions"]):
        in_horizon(f"disruptions[{i}].start", w["start"])
        after(f"disruptions[{i}].end", w["end"], w["start"], f"disruptions[{i}].start")

    for name, comp in d["ores"].items():
        _check_sum(ctx, f"ores.{name}", list(comp.values()), "oxide shares")

    for i, b in enumerate(d["quota"]["batches"]):
        in_horizon(f"quota.batches[{i}].issued", b["issued"])
        if b["year"] != b["issued"].year and b["issued"].year != b["year"] - 1:
            raise ctx.error(f"quota.batches[{i}].year", f"{b['year']} does not match issued {b['issued']}",
                            "the calendar year of the issue date (or the next year)")

    ore_ids = set(d["ores"])
    sep_ids = {s["id"] for s in d["separation"]}
    lane_ids = {x["id"] for x in d["ore_lanes"]}
    plant_ids = {p["id"] for p in d["magnet_plants"]}
    for i, m in enumerate(d["mines"]):
        ref(f"mines[{i}].ore", m["ore"], ore_ids, "ores")
        ref(f"mines[{i}].to", m["to"], sep_ids, "separation")
        ref(f"mines[{i}].lane", m["lane"], lane_ids, "ore_lanes")
        for j, o in enumerate(m["outages"]):
            in_horizon(f"mines[{i}].outages[{j}].start", o["start"])
            after(f"mines[{i}].outages[{j}].end", o["end"], o["start"], f"mines[{i}].outages[{j}].start")
    for i, lane in enumerate(d["ore_lanes"]):
        in_horizon(f"ore_lanes[{i}].under_quota_from", lane["under_quota_from"])
        for j, c in enumerate(lane["cuts"]):
            in_horizon(f"ore_lanes[{i}].cuts[{j}].start", c["start"])
            after(f"ore_lanes[{i}].cuts[{j}].end", c["end"], c["start"], f"ore_lanes[{i}].cuts[{j}].start")

    grades = d["grades"]
    products = product_names(grades)
    sep_country = {s["id"]: s["country"] for s in d["separation"]}
    routes: list[tuple[str, str, str]] = []  # (origin, destination, path) needing a lane
    for i, p in enumerate(d["magnet_plants"]):
        for j, ch in enumerate(p["capacity_changes"]):
            in_horizon(f"magnet_plants[{i}].capacity_changes[{j}].date", ch["date"])
        for comp in ("ndpr", "dytb"):
            if comp not in p["oxide_sources"]:
                raise ctx.error(f"magnet_plants[{i}].oxide_sources", f"has no source for {comp!r}",
                                "a source list for each of ndpr, dytb")
            srcs = p["oxide_sources"][comp]
            for j, s in enumerate(srcs):
                ref(f"magnet_plants[{i}].oxide_sources.{comp}[{j}].separation", s["separation"], sep_ids, "separation")
                routes.append((sep_country[s["separation"]], p["country"],
                               f"magnet_plants[{i}].oxide_sources.{comp}[{j}]"))
            _check_sum(ctx, f"magnet_plants[{i}].oxide_sources.{comp}", [s["share"] for s in srcs], "shares")
    plant_country = {p["id"]: p["country"] for p in d["magnet_plants"]}

    ec = d["export_controls"]
    for i, r in enumerate(ec["rules"]):
        in_horizon(f"export_controls.rules[{i}].start", r["start"])
        after(f"export_controls.rules[{i}].end", r["end"], r["start"], f"export_controls.rules[{i}].start")
        for j, prod in enumerate(r["products"]):
            if prod not in products:
                raise ctx.error(f"export_controls.rules[{i}].products[{j}]", f"unknown product {prod!r}",
                                "one of " + ", ".join(products))
    office = ec["office"]
    if "default" not in office["approval"]:
        raise ctx.error("export_controls.office.approval", "has no \"default\" entry",
                        "a table of probabilities with a \"default\" key")
    for i, ch in enumerate(office["changes"]):
        in_horizon(f"export_controls.office.changes[{i}].date", ch["date"])

    demand = d["demand"]
    pts = demand["powertrains"]
    for name, kg in pts.items():
        for g in kg:
            ref(f"demand.powertrains.{name}.{g}", g, set(grades), "grades")
    for kind in ("automakers", "sectors"):
        for i, a in enumerate(demand[kind]):
            base = f"demand.{kind}[{i}]"
            for j, s in enumerate(a["suppliers"]):
                ref(f"{base}.suppliers[{j}].plant", s["plant"], plant_ids, "magnet_plants")
                routes.append((plant_country[s["plant"]], a["country"], f"{base}.suppliers[{j}]"))
            _check_sum(ctx, f"{base}.suppliers", [s["share"] for s in a["suppliers"]], "supplier shares")
            if kind == "automakers":
                for p in a["vehicles_per_year"]:
                    ref(f"{base}.vehicles_per_year.{p}", p, set(pts), "demand.powertrains")
            else:
                for g in a["grade_shares"]:
                    ref(f"{base}.grade_shares.{g}", g, set(grades), "grades")
                _check_sum(ctx, f"{base}.grade_shares", list(a["grade_shares"].values()), "grade shares")

    countries = ({p["country"] for p in d["magnet_plants"]} | set(sep_country.values())
                 | {a["country"] for kind in ("automakers", "sectors") for a in demand[kind]})
    known = "one of " + ", ".join(sorted(countries))
    for i, r in enumerate(ec["rules"]):
        for j, dest in enumerate(r["destinations"]):
            if dest != "*" and dest not in countries:
                raise ctx.error(f"export_controls.rules[{i}].destinations[{j}]", f"unknown country {dest!r}",
                                known + ", or \"*\" for every destination")
    approvals = [("export_controls.office.approval", office["approval"])] + [
        (f"export_controls.office.changes[{i}].approval", ch["approval"] or {})
        for i, ch in enumerate(office["changes"])]
    for path, table in approvals:
        for dest in table:
            if dest != "default" and dest not in countries:
                raise ctx.error(f"{path}.{dest}", f"unknown country {dest!r}", known + ", or \"default\"")

    lanes = {(x["origin"], x["destination"]) for x in d["lanes"]}
    for origin, dest, path in routes:
        if origin != dest and (origin, dest) not in lanes:
            raise ctx.error(path, f"ships from {origin} to {dest} but no lane connects them",
                            "a [[lanes]] entry with that origin and destination")
    for i, m in enumerate(d["mines"]):
        if m["lane"] is None and m["country"] != sep_country[m["to"]]:
            raise ctx.error(f"mines[{i}].lane", f"mine in {m['country']} feeds a plant in "
                            f"{sep_country[m['to']]} but names no ore lane", "the id of an ore lane")
    return d
