"""Every way a scenario can be wrong gets a ScenarioError that says where and what is allowed.

Each case writes a bad TOML file into ``tmp_path`` — either the whole built-in
export-halt-2025 scenario with one field broken (dumped by the tiny TOML writer below),
or a short literal file that ``extends = "baseline-2024"`` — loads it, and checks that the
error names the file (``exc.source``), the field path (``exc.path``, e.g.
``export_controls.rules[0].regime``), what is wrong (``exc.problem``) and what is allowed
(``exc.allowed``), and that ``str(exc)`` carries all of it (it is what the CLI prints).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import rare_earth_sim as res
from rare_earth_sim import ScenarioError

# ---------------------------------------------------------------- a tiny TOML writer

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dump_toml(raw: dict[str, Any]) -> str:
    """TOML text for a scenario tree: one ``key = inline value`` line per top-level key."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in raw.items())


def _path_parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.replace("[", ".").replace("]", "").split(".")]


def setp(raw: dict[str, Any], path: str, value: Any) -> None:
    *head, last = _path_parts(path)
    node: Any = raw
    for p in head:
        node = node[p]
    node[last] = value


def delp(raw: dict[str, Any], path: str) -> None:
    *head, last = _path_parts(path)
    node: Any = raw
    for p in head:
        node = node[p]
    del node[last]


BASE = res.load_scenario("export-halt-2025").raw


def test_toml_writer_round_trips_the_built_ins(tmp_path: Path) -> None:
    for name in res.list_scenarios():
        raw = res.load_scenario(name).raw
        assert tomllib.loads(dump_toml(raw)) == raw
        f = tmp_path / f"{name}.toml"
        f.write_text(dump_toml(raw), encoding="utf-8")
        assert res.load_scenario(f) == res.load_scenario(name)


def _write(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], name: str = "bad.toml") -> Path:
    raw = copy.deepcopy(BASE)
    mutate(raw)
    f = tmp_path / name
    f.write_text(dump_toml(raw), encoding="utf-8")
    return f


def _check(exc: ScenarioError, source: str, path: str, allowed: str, problem: str = "") -> None:
    assert exc.source == source
    assert exc.path == path
    assert allowed in exc.allowed, exc.allowed
    if problem:
        assert problem in exc.problem, exc.problem
    text = str(exc)
    # The one line users see names the file, the field and what is allowed.
    assert text.startswith(f"{source}: ")
    assert f": {path}: " in text or not path
    assert exc.problem in text and f"(allowed: {exc.allowed})" in text
    assert "\n" not in text


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda raw: setp(raw, path, value)


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    return lambda raw: delp(raw, path)


D = dt.date
_RULE = {"name": "r", "start": D(2025, 4, 4), "products": ["magnet_high_temp"], "regime": "licence"}

# (mutation, expected path, substring of allowed, substring of problem)
CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str, str]] = {
    # -- unknown keys
    "unknown top-level key": (_set("scenarios", {}), "scenarios", "keys scenario, disruptions, calendar",
                              "unknown key 'scenarios'"),
    "unknown key in a table": (_set("scenario.horizon", 3), "scenario.horizon", "keys name, extends", "unknown key"),
    "unknown key in an array entry": (_set("mines[3].capacity", 1.0), "mines[3].capacity",
                                      "capacity_t_per_year", "unknown key 'capacity'"),
    "unknown key in a rule": (_set("export_controls.rules[0].regim", "halt"), "export_controls.rules[0].regim",
                              "regime", "unknown key"),
    "unknown oxide in recycling": (_set("separation[0].recycling_t_per_year.ce", 1.0),
                                   "separation[0].recycling_t_per_year.ce", "keys ndpr, dytb, other", "unknown key"),
    # -- wrong types
    "number as string": (_set("mines[0].capacity_t_per_year", "300000"), "mines[0].capacity_t_per_year",
                         "a number in [0, inf]", "expected a number, got string"),
    "boolean as number": (_set("demand.automakers[1].stock_days", True), "demand.automakers[1].stock_days",
                          "a number in [0, inf]", "expected a number, got boolean"),
    "date as number": (_set("scenario.start", 2024), "scenario.start", "a date such as", "expected a date"),
    "date as bad string": (_set("disruptions[0].start", "4 April 2025"), "disruptions[0].start",
                           "YYYY-MM-DD", "is not a date"),
    "bool as string": (_set("separation[0].quota", "yes"), "separation[0].quota", "true or false",
                       "expected true or false"),
    "string as number": (_set("scenario.name", 7), "scenario.name", "a string", "expected a string"),
    "table as number": (_set("ores.bayan_obo", 0.2), "ores.bayan_obo", "a table with keys ndpr, dytb, other",
                        "expected a table"),
    "array as string": (_set("demand.automakers[0].suppliers", "china_magnets"), "demand.automakers[0].suppliers",
                        "an array", "expected an array"),
    "array of tables as table": (_set("export_controls.rules", {"name": "x"}), "export_controls.rules",
                                 "[[export_controls.rules]]", "expected an array of tables"),
    "regime not allowed": (_set("export_controls.rules[0].regime", "ban"), "export_controls.rules[0].regime",
                           "'licence', 'halt', 'general', 'free'", "'ban' is not allowed"),
    "allocation rule not allowed": (_set("magnet_plants[0].allocation", "lottery"), "magnet_plants[0].allocation",
                                    "'fifo', 'pro_rata', 'priority'", "not allowed"),
    "fractional reviewers": (_set("export_controls.office.reviewers", 2.5), "export_controls.office.reviewers",
                             "a whole number", "expected a whole number"),
    "not finite": (_set("lanes[0].transit_days", math.nan), "lanes[0].transit_days", "a number", "not finite"),
    "empty supplier list": (_set("demand.automakers[2].suppliers", []), "demand.automakers[2].suppliers",
                            "at least 1", "has 0 entries"),
    "duplicate id": (_set("mines[1].id", "china_rock"), "mines[1].id", "ids unique", "duplicate id 'china_rock'"),
    "approval without default": (_set("export_controls.office.approval", {"Japan": 0.5}),
                                 "export_controls.office.approval", "\"default\" key", "no \"default\""),
    "probability above 1": (_set("export_controls.office.approval.default", 1.2),
                            "export_controls.office.approval.default", "a number in [0, 1]", "above the maximum"),
    "zero review period": (_set("demand.automakers[0].review_days", 0), "demand.automakers[0].review_days",
                           "a number in (0, inf]", "below the minimum"),
    "zero campaign days": (_set("simulation.campaign_days", 0.0), "simulation.campaign_days",
                           "(0, inf]", "below the minimum"),
    # -- negative capacities and stocks
    "negative mine capacity": (_set("mines[0].capacity_t_per_year", -1.0), "mines[0].capacity_t_per_year",
                               "a number in [0, inf] (t REO/yr)", "-1 is below the minimum"),
    "negative separation capacity": (_set("separation[2].capacity_t_per_year", -10),
                                     "separation[2].capacity_t_per_year",
                                     "[0, inf]", "below the minimum"),
    "negative magnet capacity": (_set("magnet_plants[0].capacity_t_per_year", -300000),
                                 "magnet_plants[0].capacity_t_per_year", "(t magnet/yr)", "below the minimum"),
    "negative capacity change": (_set("magnet_plants[2].capacity_changes[0].capacity_t_per_year", -5),
                                 "magnet_plants[2].capacity_changes[0].capacity_t_per_year", "[0, inf]", "below"),
    "negative sector demand": (_set("demand.sectors[4].demand_t_per_year", -1), "demand.sectors[4].demand_t_per_year",
                               "[0, inf]", "below"),
    "negative vehicles": (_set("demand.automakers[2].vehicles_per_year.bev", -970000),
                          "demand.automakers[2].vehicles_per_year.bev", "(vehicles/yr)", "below"),
    "negative stock days": (_set("demand.automakers[3].stock_days", -38), "demand.automakers[3].stock_days",
                            "(days of cover)", "-38 is below the minimum"),
    "negative initial oxide stock": (_set("separation[0].initial_stock_days", -60), "separation[0].initial_stock_days",
                                     "[0, inf]", "below"),
    "negative plant oxide stock": (_set("magnet_plants[1].oxide_stock_days", -1), "magnet_plants[1].oxide_stock_days",
                                   "[0, inf]", "below"),
    "negative warm-up": (_set("scenario.warmup_days", -1), "scenario.warmup_days", "[0, inf]", "below"),
    # -- shares that do not sum to 1
    "ore shares": (_set("ores.bayan_obo.ndpr", 0.3), "ores.bayan_obo", "oxide shares that sum to 1", "sum to 1.1"),
    "supplier shares": (_set("demand.automakers[0].suppliers[0].share", 0.5), "demand.automakers[0].suppliers",
                        "supplier shares that sum to 1", "sum to 0.65"),
    "sector supplier shares": (_set("demand.sectors[0].suppliers[0].share", 0.9), "demand.sectors[0].suppliers",
                               "supplier shares that sum to 1", "sum to 0.9"),
    "grade shares": (_set("demand.sectors[1].grade_shares.standard", 0.5), "demand.sectors[1].grade_shares",
                     "grade shares that sum to 1", "sum to 1.25"),
    "oxide source shares": (_set("magnet_plants[1].oxide_sources.ndpr[0].share", 0.5),
                            "magnet_plants[1].oxide_sources.ndpr", "shares that sum to 1", "sum to 0.9"),
    # -- an end before its start
    "scenario end before start": (_set("scenario.end", D(2023, 12, 31)), "scenario.end",
                                  "an end date after the start", "is not after scenario.start"),
    "scenario end equal to start": (_set("scenario.end", D(2024, 1, 1)), "scenario.end", "after the start",
                                    "not after"),
    "rule end before start": (_set("export_controls.rules[0].end", D(2025, 4, 1)), "export_controls.rules[0].end",
                              "a date after 2025-04-04", "is not after export_controls.rules[0].start"),
    "disruption end before start": (_set("disruptions[0].end", D(2025, 3, 1)), "disruptions[0].end",
                                    "a date after 2025-04-04", "not after disruptions[0].start"),
    "cut end before start": (_set("ore_lanes[5].cuts[0].end", D(2025, 4, 1)), "ore_lanes[5].cuts[0].end",
                             "a date after 2025-04-15", "not after ore_lanes[5].cuts[0].start"),
    "outage end before start": (_set("mines[2].outages", [{"start": D(2024, 6, 1), "end": D(2024, 5, 1)}]),
                                "mines[2].outages[0].end", "a date after 2024-06-01",
                                "not after mines[2].outages[0].start"),
    # -- dates outside the horizon (2023-09-03 .. 2025-12-31 with the 120-day warm-up)
    "rule after the horizon": (_set("export_controls.rules[0].start", D(2026, 4, 4)), "export_controls.rules[0].start",
                               "a date from 2023-09-03 to 2025-12-31", "outside the horizon"),
    "rule before the warm-up": (_set("export_controls.rules[0].start", D(2023, 9, 2)), "export_controls.rules[0].start",
                                "a date from 2023-09-03 to 2025-12-31", "outside the horizon"),
    "disruption outside": (_set("disruptions[0].start", D(2026, 1, 1)), "disruptions[0].start",
                           "a date from 2023-09-03", "outside the horizon"),
    "quota batch outside": (_set("quota.batches[0].issued", D(2022, 2, 6)), "quota.batches[0].issued",
                            "a date from 2023-09-03", "outside the horizon"),
    "capacity change outside": (_set("magnet_plants[3].capacity_changes[0].date", D(2027, 1, 1)),
                                "magnet_plants[3].capacity_changes[0].date", "to 2025-12-31", "outside"),
    "office change outside": (_set("export_controls.office.changes[1].date", D(2026, 9, 16)),
                              "export_controls.office.changes[1].date", "to 2025-12-31", "outside"),
    "cut outside": (_set("ore_lanes[5].cuts[0].start", D(2020, 4, 15)), "ore_lanes[5].cuts[0].start",
                    "a date from 2023-09-03", "outside"),
    "outage outside": (_set("mines[0].outages", [{"start": D(2026, 6, 1), "end": D(2026, 7, 1)}]),
                       "mines[0].outages[0].start", "to 2025-12-31", "outside"),
    "under quota outside": (_set("ore_lanes[0].under_quota_from", D(2026, 8, 22)), "ore_lanes[0].under_quota_from",
                            "to 2025-12-31", "outside"),
    "quota year does not match": (_set("quota.batches[0].year", 2030), "quota.batches[0].year",
                                  "calendar year of the issue date", "does not match"),
    # -- references to things not defined
    "mine ore": (_set("mines[0].ore", "granite"), "mines[0].ore", "ids in ores", "'granite' is not defined"),
    "mine separation plant": (_set("mines[1].to", "nowhere"), "mines[1].to", "'china_separation'",
                              "'nowhere' is not defined"),
    "mine lane": (_set("mines[2].lane", "myanmar_india"), "mines[2].lane", "'myanmar_china'", "not defined"),
    "supplier plant": (_set("demand.automakers[7].suppliers[0].plant", "korea_magnets"),
                       "demand.automakers[7].suppliers[0].plant", "'japan_magnets'", "'korea_magnets' is not defined"),
    "sector supplier plant": (_set("demand.sectors[2].suppliers[0].plant", "x"), "demand.sectors[2].suppliers[0].plant",
                              "ids in magnet_plants", "not defined"),
    "oxide source plant": (_set("magnet_plants[3].oxide_sources.ndpr[0].separation", "mp"),
                           "magnet_plants[3].oxide_sources.ndpr[0].separation", "'mp_separation'",
                           "'mp' is not defined"),
    "powertrain of an automaker": (_set("demand.automakers[2].vehicles_per_year", {"fcev": 1000}),
                                   "demand.automakers[2].vehicles_per_year.fcev", "'bev', 'hev', 'ice', 'phev'",
                                   "'fcev' is not defined"),
    "grade of a powertrain": (_set("demand.powertrains.bev.ultra", 0.1), "demand.powertrains.bev.ultra",
                              "'high_temp', 'standard'", "'ultra' is not defined"),
    "grade of a sector": (_set("demand.sectors[0].grade_shares", {"standard": 0.25, "ultra": 0.75}),
                          "demand.sectors[0].grade_shares.ultra", "ids in grades", "not defined"),
    "product of a rule": (_set("export_controls.rules[0].products", ["magnet_high_temp", "oxide_tb"]),
                          "export_controls.rules[0].products[1]", "oxide_dytb", "unknown product 'oxide_tb'"),
    "plant without a dytb source": (_set("magnet_plants[0].oxide_sources", {"ndpr": [{"separation": "china_separation",
                                                                                       "share": 1.0}]}),
                                    "magnet_plants[0].oxide_sources", "each of ndpr, dytb", "no source for 'dytb'"),
    # -- missing lanes
    "missing lane for a cross-border supplier": (
        lambda raw: raw.__setitem__("lanes", [x for x in raw["lanes"] if x["id"] != "china_india"]),
        "demand.automakers[9].suppliers[0]", "a [[lanes]] entry", "ships from China to India but no lane"),
    "missing lane for an oxide source": (
        lambda raw: raw.__setitem__("lanes", [x for x in raw["lanes"] if x["id"] != "malaysia_japan"]),
        "magnet_plants[1].oxide_sources.ndpr[0]", "a [[lanes]] entry", "from Malaysia to Japan"),
    "missing ore lane for a foreign mine": (_del("mines[2].lane"), "mines[2].lane", "the id of an ore lane",
                                            "mine in Myanmar feeds a plant in China"),
    # -- bad distributions
    "unknown distribution": (_set("demand.automakers[0].stock_days", {"dist": "nrom", "loc": 35, "scale": 5}),
                             "demand.automakers[0].stock_days", "a number in [0, inf]", "unknown distribution 'nrom'"),
    "unknown distribution parameter": (_set("export_controls.office.review_working_days",
                                            {"dist": "triang", "mode": 0.7, "loc": 15, "scale": 30}),
                                       "export_controls.office.review_working_days", "distribution table",
                                       "unknown parameter 'mode'"),
    "missing distribution parameter": (_set("lanes[1].transit_days", {"dist": "triang", "loc": 32, "scale": 16}),
                                       "lanes[1].transit_days", "distribution table", "needs parameter(s) c"),
    "non-positive scale": (_set("lanes[1].transit_days", {"dist": "uniform", "loc": 32, "scale": 0}),
                           "lanes[1].transit_days", "distribution table", "scale of uniform must be > 0"),
    "norm for a non-negative field": (_set("demand.automakers[0].stock_days", {"dist": "norm", "loc": 35, "scale": 5}),
                                      "demand.automakers[0].stock_days", "support lies inside the allowed range",
                                      "can draw values below 0"),
    "support above the maximum": (_set("export_controls.office.approval.default",
                                       {"dist": "uniform", "loc": 0.9, "scale": 0.5}),
                                  "export_controls.office.approval.default", "support lies inside",
                                  "can draw values above 1"),
    "distribution for a fixed field": (_set("simulation.campaign_days", {"dist": "uniform", "loc": 5, "scale": 4}),
                                       "simulation.campaign_days", "a number in (0, inf]",
                                       "expected a number, got table"),
    # -- missing required fields
    "missing scenario name": (_del("scenario.name"), "scenario.name", "a string", "is missing"),
    "missing capacity": (_del("mines[4].capacity_t_per_year"), "mines[4].capacity_t_per_year", "a number in [0, inf]",
                         "is missing"),
    "missing regime": (_del("export_controls.rules[0].regime"), "export_controls.rules[0].regime", "'halt'",
                       "is missing"),
    "missing office": (_del("export_controls.office"), "export_controls.office", "reviewers", "is missing"),
    "missing demand": (_del("demand"), "demand", "powertrains, automakers, sectors", "is missing"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_file_names_file_field_and_allowed(tmp_path: Path, case: str) -> None:
    mutate, path, allowed, problem = CASES[case]
    f = _write(tmp_path, mutate)
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), path, allowed, problem)


def test_the_unbroken_base_file_loads(tmp_path: Path) -> None:
    # Guards the cases above: each fails for its own mutation, not for the dump.
    f = _write(tmp_path, lambda raw: None)
    assert res.load_scenario(f).name == "export-halt-2025"


def test_scenario_error_is_a_value_error_with_fields() -> None:
    e = ScenarioError("f.toml", "a.b[0].c", "is wrong", "something else")
    assert isinstance(e, ValueError)
    assert str(e) == "f.toml: a.b[0].c: is wrong (allowed: something else)"
    assert str(ScenarioError("f.toml", "", "is broken")) == "f.toml: <top level>: is broken"


# ---------------------------------------------------------------- literal files that extend a built-in


def _literal(tmp_path: Path, text: str, name: str = "child.toml") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_extending_file_with_bad_regime(tmp_path: Path) -> None:
    f = _literal(tmp_path, """
[scenario]
extends = "baseline-2024"
name = "bad-regime"

[[export_controls.rules]]
name = "embargo"
start = 2025-04-04
products = ["magnet_high_temp"]
regime = "embargo"
""")
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "export_controls.rules[0].regime", "one of 'licence', 'halt', 'general', 'free'",
           "'embargo' is not allowed")


def test_extending_file_merges_by_id_and_blames_the_child(tmp_path: Path) -> None:
    f = _literal(tmp_path, """
[scenario]
extends = "baseline-2024"
name = "bad-ford"

[[demand.automakers]]
id = "ford"
stock_days = -5
""")
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "demand.automakers[1].stock_days", "a number in [0, inf]", "-5 is below the minimum")


def test_extending_file_that_is_fine_loads(tmp_path: Path) -> None:
    f = _literal(tmp_path, """
[scenario]
extends = "baseline-2024"
name = "more-stock"

[[demand.automakers]]
id = "ford"
stock_days = 60
""")
    sc = res.load_scenario(f)
    assert sc.name == "more-stock"
    assert sc.data["demand"]["automakers"][1]["stock_days"] == 60.0
    parent = res.load_scenario("baseline-2024").data["demand"]["automakers"][0]["stock_days"]
    assert sc.data["demand"]["automakers"][0]["stock_days"] == parent  # inherited unchanged


def test_invalid_toml_syntax(tmp_path: Path) -> None:
    f = _literal(tmp_path, '[scenario]\nname = "x\nstart = 2024-01-01\n')
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "", "TOML 1.0 syntax", "is not valid TOML")
    assert "line 2" in info.value.problem  # says where in the file


def test_invalid_toml_duplicate_key(tmp_path: Path) -> None:
    f = _literal(tmp_path, '[scenario]\nname = "x"\nname = "y"\n')
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "", "TOML 1.0 syntax", "is not valid TOML")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "latin1.toml"
    f.write_bytes('[scenario]\nname = "Müller"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "", "a UTF-8 TOML file", "cannot be read")


def test_unknown_builtin_name() -> None:
    with pytest.raises(ScenarioError) as info:
        res.load_scenario("baseline-2042")
    _check(info.value, "baseline-2042", "", "baseline-2024, export-halt-2025", "neither a built-in scenario")


def test_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "", "or a path to a .toml file", "neither a built-in scenario nor a readable file")


def test_extends_missing_parent(tmp_path: Path) -> None:
    f = _literal(tmp_path, '[scenario]\nextends = "no-such-parent.toml"\nname = "orphan"\n')
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "scenario.extends", "a built-in scenario name or a path",
           "cannot load 'no-such-parent.toml'")


def test_extends_not_a_string(tmp_path: Path) -> None:
    f = _literal(tmp_path, '[scenario]\nextends = 3\nname = "x"\n')
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(f)
    _check(info.value, str(f), "scenario.extends", "a built-in scenario name", "expected a string")


def test_extends_cycle_between_two_files(tmp_path: Path) -> None:
    a = _literal(tmp_path, '[scenario]\nextends = "b.toml"\nname = "a"\n', "a.toml")
    _literal(tmp_path, '[scenario]\nextends = "a.toml"\nname = "b"\n', "b.toml")
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(a)
    exc = info.value
    assert exc.source == str(a) and exc.path == "scenario.extends"
    assert "extends itself" in str(exc) and "a chain of scenarios without a cycle" in str(exc)


def test_extends_itself(tmp_path: Path) -> None:
    a = _literal(tmp_path, '[scenario]\nextends = "self.toml"\nname = "self"\n', "self.toml")
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(a)
    assert info.value.source == str(a) and info.value.path == "scenario.extends"
    assert "extends itself" in str(info.value)


def test_extends_chain_of_files_resolves_relative_to_each_file(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    _literal(sub, '[scenario]\nextends = "baseline-2024"\nname = "mid"\n\n[[demand.automakers]]\nid = "gm"\n'
                  'stock_days = 50\n', "mid.toml")
    leaf = _literal(tmp_path, '[scenario]\nextends = "sub/mid.toml"\nname = "leaf"\n')
    sc = res.load_scenario(leaf)
    assert sc.name == "leaf" and sc.data["demand"]["automakers"][0]["stock_days"] == 50.0


def test_error_in_a_parent_file_names_the_parent(tmp_path: Path) -> None:
    parent = _literal(tmp_path, '[scenario]\nextends = "baseline-2024"\nname = "parent"\n\n'
                                '[[demand.automakers]]\nid = "ford"\nstock_days = -1\n', "parent.toml")
    child = _literal(tmp_path, '[scenario]\nextends = "parent.toml"\nname = "child"\n', "child.toml")
    with pytest.raises(ScenarioError) as info:
        res.load_scenario(child)
    # The user must be sent to the file that holds the bad value.
    assert str(parent) in str(info.value)


# ---------------------------------------------------------------- overrides

SC = res.load_scenario("baseline-2024")
OVR = "baseline-2024.toml (built-in) (with overrides)"


@pytest.mark.parametrize(("path", "problem", "allowed"), [
    ("demand.automakers.fiat.stock_days", "demand.automakers has no entry 'fiat'", "an id among ['gm', 'ford'"),
    ("demand.automakers.12.stock_days", "has no entry '12'", "an index below 12"),
    ("demand.sedans.gm.stock_days", "demand has no key 'sedans'", "keys powertrains, automakers, sectors"),
    ("grid.x", "<top level> has no key 'grid'", "keys scenario"),
    ("mines.china_rock.capacity_t_per_year.max", "is a value, not a table", "a path to a table entry"),
])
def test_override_of_nonexistent_path(path: str, problem: str, allowed: str) -> None:
    with pytest.raises(ScenarioError) as info:
        SC.with_overrides({path: 1})
    _check(info.value, OVR, path, allowed, problem)


def test_override_of_unknown_last_key_is_caught_by_the_schema() -> None:
    with pytest.raises(ScenarioError) as info:
        SC.with_overrides({"demand.automakers.ford.stock_dayz": 60})
    _check(info.value, OVR, "demand.automakers[1].stock_dayz", "stock_days", "unknown key 'stock_dayz'")


def test_override_with_bad_value() -> None:
    with pytest.raises(ScenarioError) as info:
        SC.with_overrides({"export_controls.rules": [dict(_RULE, regime="stop")]})
    _check(info.value, OVR, "export_controls.rules[0].regime", "'licence', 'halt', 'general', 'free'", "'stop'")


def test_override_leaves_the_original_unchanged() -> None:
    before = SC.raw
    sc2 = SC.with_overrides({"demand.automakers.ford.stock_days": 60, "demand.automakers[0].stock_days": 10})
    assert SC.raw == before
    assert sc2.data["demand"]["automakers"][1]["stock_days"] == 60.0
    assert sc2.data["demand"]["automakers"][0]["stock_days"] == 10.0
    with pytest.raises(ScenarioError):
        SC.with_overrides({"demand.automakers.ford.stock_days": -1})
    assert SC.raw == before


# ---------------------------------------------------------------- problems only a run would find (bugs)


@pytest.mark.parametrize("mask", ["11x1100", "11111", "0000000"])
def test_bad_weekmask_is_a_scenario_error(mask: str) -> None:
    with pytest.raises(ScenarioError) as info:
        SC.with_overrides({"calendar.weekmask": mask})
    assert info.value.path == "calendar.weekmask"
