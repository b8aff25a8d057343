"""Tests for the sourced-data loaders in :mod:`rare_earth_sim.data`."""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from rare_earth_sim import data

ALL_CSVS = {
    "china_holidays_2025.csv",
    "china_magnet_exports_monthly.csv",
    "china_quota_holders_2024.csv",
    "china_quotas.csv",
    "coefficients.csv",
    "downstream_inventory_statements.csv",
    "export_controls_timeline.csv",
    "licensing_process_2025H1.csv",
    "magnet_exports_by_destination.csv",
    "ndfeb_demand_by_sector.csv",
    "ore_composition.csv",
    "supply_volumes.csv",
    "vehicle_production_2024.csv",
    "world_mine_production.csv",
}


# ---------------------------------------------------------------- packaging


def test_all_csvs_packaged() -> None:
    names = {p.name for p in resources.files("rare_earth_sim.data").iterdir()}
    assert ALL_CSVS <= names


@pytest.mark.parametrize("name", sorted(ALL_CSVS))
def test_every_csv_row_has_a_source(name: str) -> None:
    text = resources.files("rare_earth_sim.data").joinpath(name).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert all(row["source"].strip() for row in rows)
    if "inferred" in rows[0]:
        assert {row["inferred"] for row in rows} <= {"true", "false"}


def test_list_datasets_names_callable_loaders() -> None:
    names = data.list_datasets()
    assert len(names) == len(set(names)) == 14
    for name in names:
        assert callable(getattr(data, name))
        assert name in data.__all__


@pytest.mark.parametrize("name", data.list_datasets())
def test_every_loader_returns_tidy_sourced_frame(name: str) -> None:
    df = getattr(data, name)()
    assert isinstance(df, pd.DataFrame)
    assert len(df) > 0
    assert df.attrs["source"].endswith(".csv")
    assert df.attrs["source"] in ALL_CSVS
    units = df.attrs["units"]
    assert set(units) == set(df.columns)
    assert "source" in df.columns
    assert df["source"].notna().all()
    assert not (df["source"].str.lower() == "same").any()
    assert df.index.equals(pd.RangeIndex(len(df)))
    if "inferred" in df.columns:
        assert df["inferred"].dtype == bool


def test_loaders_return_fresh_frames() -> None:
    a = data.quotas()
    a.loc[0, "mining_t_reo"] = -1.0
    assert data.quotas().loc[0, "mining_t_reo"] == 105000.0


# ---------------------------------------------------------------- exports


def test_magnet_exports_monthly() -> None:
    df = data.magnet_exports()
    assert list(df.columns) == ["period", "total_t", "to_us_t", "status", "inferred", "source"]
    assert pd.api.types.is_datetime64_any_dtype(df["period"])
    assert (df["period"].dt.day == 1).all()
    assert df["period"].is_monotonic_increasing and df["period"].is_unique
    assert df["total_t"].dtype == np.float64 and df["to_us_t"].dtype == np.float64
    assert df.attrs["source"] == "china_magnet_exports_monthly.csv"
    assert "t" in df.attrs["units"]["total_t"]

    y2024 = df[(df["period"] >= "2024-04-01") & (df["period"] <= "2024-10-01")]
    assert len(y2024) == 7
    assert y2024["total_t"].between(4000, 6500).all()
    # consistent with the reported 2024 annual total of 58152 t
    assert 4000 < y2024["total_t"].mean() < 58152 / 12 * 1.2

    may = df.set_index("period").loc[pd.Timestamp("2025-05-01")]
    assert may["total_t"] == 1238
    assert may["to_us_t"] == 46
    assert not may["inferred"]
    apr = df.set_index("period").loc[pd.Timestamp("2025-04-01")]
    assert apr["status"].startswith("inferred")
    assert apr["inferred"]
    assert np.isnan(apr["to_us_t"])


def test_magnet_exports_all_periods() -> None:
    df = data.magnet_exports(monthly_only=False)
    assert {"period_label", "months"} <= set(df.columns)
    h1 = df.set_index("period_label").loc["2025-H1"]
    assert h1["total_t"] == 22319
    assert h1["months"] == 6
    assert h1["period"] == pd.Timestamp("2025-01-01")
    annual = df.set_index("period_label").loc["2024"]
    assert annual["total_t"] == 58152 and annual["months"] == 12
    # H1-2025 equals the sum of the six 2025 monthly rows
    monthly = data.magnet_exports()
    jan_jun = monthly[monthly["period"].dt.year == 2025]
    assert len(jan_jun) == 6
    assert jan_jun["total_t"].sum() == pytest.approx(22319, abs=1)
    assert len(df) == len(monthly) + 2


# ---------------------------------------------------------------- quotas


def test_quotas_types() -> None:
    df = data.quotas()
    assert df["year"].dtype == np.int64
    assert set(df["batch"]) <= {"1", "2", "3", "total"}
    assert df["issued"].isna().any()
    assert df.loc[df["year"] == 2025, "mining_t_reo"].isna().all()
    assert not df["inferred"].any()


@pytest.mark.parametrize("year", [2023, 2024])
def test_quota_batches_sum_to_total(year: int) -> None:
    df = data.quotas()
    rows = df[df["year"] == year]
    batches = rows[rows["batch"] != "total"]
    total = rows[rows["batch"] == "total"].iloc[0]
    for col in ("mining_t_reo", "smelting_t_reo"):
        assert batches[col].sum() == total[col]


def test_quota_2024_totals() -> None:
    df = data.quotas().set_index(["year", "batch"])
    assert df.loc[(2024, "total"), "mining_t_reo"] == 270000
    assert df.loc[(2024, "total"), "smelting_t_reo"] == 254000


def test_quota_holders_sum_to_first_batch() -> None:
    holders = data.quota_holders()
    q = data.quotas().set_index(["year", "batch"])
    for year in (2023, 2024):
        h = holders[(holders["year"] == year) & (holders["batch"] == "1")]
        assert h["mining_t_reo"].sum() == q.loc[(year, "1"), "mining_t_reo"]
        assert h["smelting_t_reo"].sum() == q.loc[(year, "1"), "smelting_t_reo"]
        assert (h["mining_rock_t_reo"] + h["mining_ionic_t_reo"] == h["mining_t_reo"]).all()


# ---------------------------------------------------------------- mining


def test_mine_production_long_format() -> None:
    df = data.mine_production()
    assert list(df.columns)[:3] == ["country", "year", "t_reo"]
    assert set(df["year"]) == {2023, 2024}
    assert len(df) == 2 * df["country"].nunique()
    prod = df.set_index(["country", "year"])["t_reo"]
    quotas = data.quotas().set_index(["year", "batch"])["mining_t_reo"]
    assert prod[("China", 2024)] == quotas[(2024, "total")] == 270000
    assert prod[("China", 2023)] == quotas[(2023, "total")]
    assert df.set_index(["country", "year"]).loc[("Myanmar", 2024), "inferred"]
    # countries (without World) add up to the rounded USGS world total
    # (2024: 393950 t against a world figure of 390000 t)
    for year in (2023, 2024):
        parts = df[(df["year"] == year) & (df["country"] != "World")]["t_reo"].sum()
        assert parts == pytest.approx(prod[("World", year)], rel=0.02)


# ---------------------------------------------------------------- calendars


def test_holidays_expansion() -> None:
    df = data.holidays_china(2025)
    assert list(df.columns)[:3] == ["date", "kind", "name"]
    assert set(df["kind"]) == {"holiday", "makeup_workday"}
    assert df["date"].is_monotonic_increasing and df["date"].is_unique
    national = df[(df["kind"] == "holiday") & df["name"].str.startswith("National Day")]
    assert len(national) == 8
    assert national["date"].min() == pd.Timestamp("2025-10-01")
    assert national["date"].max() == pd.Timestamp("2025-10-08")
    spring = df[(df["kind"] == "holiday") & (df["name"] == "Spring Festival")]
    assert len(spring) == 8
    makeup = df[df["kind"] == "makeup_workday"]
    assert list(makeup["date"].dt.strftime("%Y-%m-%d")) == [
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    ]
    assert (makeup["date"].dt.day_of_week >= 5).all()  # all on weekends
    assert (df["kind"] == "holiday").sum() == 1 + 8 + 3 + 5 + 3 + 8
    assert not df["source"].str.lower().eq("same").any()


def test_holidays_unknown_year() -> None:
    with pytest.raises(ValueError, match="1999"):
        data.holidays_china(1999)


def test_controls_timeline() -> None:
    df = data.controls_timeline()
    assert list(df.columns) == ["date", "measure", "content", "source"]
    assert pd.api.types.is_datetime64_any_dtype(df["date"])
    assert df["date"].iloc[0] == pd.Timestamp("2025-04-04")
    assert df["measure"].str.contains("No. 18").any()


def test_licensing_and_inventory_dates() -> None:
    lic = data.licensing_process()
    assert set(lic["date_precision"]) == {"day", "month"}
    assert lic.loc[lic["date_precision"] == "month", "date"].dt.day.eq(1).all()
    inv = data.inventory_statements()
    assert inv["date"].min() == pd.Timestamp("2025-05-09")


# ---------------------------------------------------------------- value tables


def test_coefficients_low_high() -> None:
    df = data.coefficients().set_index("item")
    assert df.loc["ndfeb_per_bev_traction_motor", "value"] == "1.3-2.0"
    assert df.loc["ndfeb_per_bev_traction_motor", ["low", "high"]].tolist() == [1.3, 2.0]
    assert df.loc["rare_earth_per_ev", ["low", "high"]].tolist() == [0.5, 0.5]
    assert df.loc["china_ndfeb_output", "high"] == 260000
    for item in ("dy_tb_content_high_temp_grade", "dy_per_ev", "transit_shanghai_rotterdam"):
        assert np.isnan(df.loc[item, "low"]) and np.isnan(df.loc[item, "high"])
    assert (df["low"].dropna() <= df["high"].dropna()).all()
    assert df.loc["dy_per_ev", "inferred"]
    assert not df.loc["china_share_mining", "inferred"]


def test_vehicle_production() -> None:
    df = data.vehicle_production().set_index("group")
    assert df.loc["World", "vehicles_2024"] == 92_500_000
    assert df.loc["Tesla", "bev"] == df.loc["Tesla", "vehicles_2024"]
    assert np.isnan(df.loc["Ford", "bev"])


def test_ore_composition_shares() -> None:
    df = data.ore_composition()
    mp = df[df["deposit"].str.startswith("Mountain Pass")]
    assert mp["low"].sum() == pytest.approx(1.0)
    assert ((df["low"].dropna() > 0) & (df["low"].dropna() <= 1)).all()
    assert df["share_of_treo"].eq(">0.95").any()


def test_supply_and_destination_ranges() -> None:
    sv = data.supply_volumes()
    dy = sv[sv["item"] == "China Dy oxide output"].iloc[0]
    assert (dy["low"], dy["high"]) == (214.0, 215.5)
    dest = data.exports_by_destination()
    us = dest[(dest["period"] == "2024") & (dest["destination"] == "United States")].iloc[0]
    assert (us["low"], us["high"]) == (4800.0, 7440.0)
    assert us["inferred"]
    assert '">400 t/month"' in us["status"]


def test_demand_by_sector_resolves_same() -> None:
    df = data.demand_by_sector()
    assert df["value"].dtype == np.float64
    shares_2018 = df[df["period"] == "2018"]
    assert shares_2018["source"].eq("atechmagnet (low confidence)").all()
    assert shares_2018["inferred"].all()
    assert shares_2018["value"].sum() == pytest.approx(0.967, abs=1e-9)


# ---------------------------------------------------------------- malformed input


def _patch_file(monkeypatch: pytest.MonkeyPatch, target: str, edit) -> None:
    """Make ``data._read._read_text(target)`` return an edited copy of the file."""
    original = data._read._read_text

    def fake(name: str) -> str:
        text = original(name)
        return edit(text) if name == target else text

    monkeypatch.setattr(data._read, "_read_text", fake)


def test_malformed_number_names_file_and_column(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_file(monkeypatch, "china_quotas.csv", lambda t: t.replace("270000", "27O000"))
    with pytest.raises(ValueError, match=r"china_quotas\.csv.*'mining_t_reo'"):
        data.quotas()


def test_missing_column_names_file_and_column(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_file(
        monkeypatch, "china_magnet_exports_monthly.csv", lambda t: t.replace("to_us_t", "to_usa", 1)
    )
    with pytest.raises(ValueError, match=r"china_magnet_exports_monthly\.csv.*'to_us_t'"):
        data.magnet_exports()


def test_bad_inferred_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_file(monkeypatch, "ore_composition.csv", lambda t: t.replace(",true\n", ",yes\n", 1))
    with pytest.raises(ValueError, match=r"ore_composition\.csv.*'inferred'"):
        data.ore_composition()


def test_bad_period_and_date(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_file(
        monkeypatch, "china_magnet_exports_monthly.csv", lambda t: t.replace("2025-05,", "2025-13,")
    )
    with pytest.raises(ValueError, match=r"china_magnet_exports_monthly\.csv.*'period'"):
        data.magnet_exports()
    _patch_file(
        monkeypatch, "export_controls_timeline.csv", lambda t: t.replace("2025-10-30", "30/10/2025")
    )
    with pytest.raises(ValueError, match=r"export_controls_timeline\.csv.*'date'"):
        data.controls_timeline()


def test_bad_holiday_kind_and_range(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_file(
        monkeypatch, "china_holidays_2025.csv", lambda t: t.replace(",holiday,Qingming", ",day off,Qingming")
    )
    with pytest.raises(ValueError, match=r"china_holidays_2025\.csv.*'kind'"):
        data.holidays_china()
    _patch_file(
        monkeypatch, "china_holidays_2025.csv", lambda t: t.replace("2025-10-01,2025-10-08", "2025-10-08,2025-10-01")
    )
    with pytest.raises(ValueError, match=r"china_holidays_2025\.csv.*'date_to'"):
        data.holidays_china()
