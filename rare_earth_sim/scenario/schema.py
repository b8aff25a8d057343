"""The scenario schema: every field a scenario file may hold, as data.

One source of truth for type, unit, default, range and description. Validation
(:mod:`.validate`) and the field reference (:func:`field_table`) are both driven by it.
Units: tonnes (t) of the stated material, days, calendar dates.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .fields import (
    Bool, Date, Field, ListOf, MapOf, Num, Ref, Str, Table, TableArray, describe,
)

__all__ = ["SCHEMA", "COMPONENTS", "REGIMES", "ALLOCATION_RULES", "field_table"]

#: Oxide components a separation plant produces (t of oxide).
COMPONENTS = ("ndpr", "dytb", "other")
#: Export-control regimes a dated rule can impose.
REGIMES = ("licence", "halt", "general", "free")
#: How a magnet plant splits a short campaign between customers.
ALLOCATION_RULES = ("fifo", "pro_rata", "priority")

_share = Num(unit="share", min=0.0, max=1.0)
_tpy = Num(unit="t/yr", min=0.0)
_days_event = Num(unit="days", min=0.0, per_event=True)

_composition = Table(
    desc="Oxide shares of the ore's total rare-earth oxide (TREO); must sum to 1.",
    fields={c: Num(unit="share of TREO", min=0.0, max=1.0, uncertain=False) for c in COMPONENTS},
)

_outage = Table(fields={
    "start": Date(desc="first day of the outage"),
    "end": Date(desc="day the outage ends (exclusive)"),
    "share": Num(unit="share of capacity lost", min=0.0, max=1.0, default=1.0),
})

_cut = Table(fields={
    "start": Date(desc="first day of the cut"),
    "end": Date(desc="day the lane reopens (exclusive); omit for no end", default=None),
    "share_blocked": Num(unit="share of tonnage held at origin", min=0.0, max=1.0, default=1.0),
})

_supplier = Table(fields={
    "plant": Ref(target="magnet_plants", desc="magnet plant id"),
    "share": Num(unit="share of orders", min=0.0, max=1.0, uncertain=False),
})

_oxide_source = Table(fields={
    "separation": Ref(target="separation", desc="separation plant id"),
    "share": Num(unit="share of the component bought", min=0.0, max=1.0, uncertain=False),
})

_approval = MapOf(
    desc="Approval probability per destination country; key \"default\" for all others.",
    value=Num(unit="probability", min=0.0, max=1.0),
)

_office_change = Table(fields={
    "date": Date(desc="date the change takes effect"),
    "reviewers": Num(unit="reviewers", min=0, integer=True, default=None,
                     desc="new number of reviewers (servers)"),
    "approval": MapOf(value=Num(unit="probability", min=0.0, max=1.0), default=None),
    "review_working_days": Num(unit="working days", min=0.0, per_event=True, default=None),
    "licence_valid_days": Num(unit="days", min=0.0, default=None),
    "note": Str(default=""),
})

SCHEMA = Table(fields={
    "scenario": Table(fields={
        "name": Str(desc="short name, e.g. export-halt-2025"),
        "extends": Str(default=None, desc="built-in name or path of a scenario this one modifies"),
        "description": Str(default=""),
        "start": Date(desc="first day reported"),
        "end": Date(desc="last day reported (inclusive)"),
        "warmup_days": Num(unit="days", min=0.0, default=120.0, uncertain=False,
                           desc="days simulated before start so pipelines hold stock; not reported"),
    }),
    "disruptions": TableArray(default=[], desc="Windows used for TTS/TTR and shaded on plots.", item=Table(fields={
        "id": Str(),
        "name": Str(default=""),
        "start": Date(),
        "end": Date(),
    })),
    "calendar": Table(default={}, desc="Working days of the licensing office (numpy business days).", fields={
        "weekmask": Str(default="1111100", desc="Mon..Sun, 1 = working day"),
        "holidays": ListOf(item=Date(), default=[]),
        "makeup_workdays": ListOf(item=Date(), default=[], desc="weekend days worked in lieu of holidays"),
    }),
    "simulation": Table(default={}, fields={
        "campaign_days": Num(unit="days", min=0.0, min_exclusive=True, default=7.0, uncertain=False,
                             desc="cadence of mine lots and of separation and magnet campaigns"),
        "domestic_transit_days": Num(unit="days", min=0.0, default=3.0, per_event=True,
                                     desc="transit inside one country (no lane needed)"),
    }),
    "ores": MapOf(desc="Ore types and their oxide composition.", value=_composition),
    "quota": Table(desc="China's mining and smelting quota schedule.", fields={
        "provisional_t_per_year": Num(unit="t REO/yr", min=0.0,
                                      desc="quota-controlled mining rate before a year's first batch"),
        "provisional_smelting_t_per_year": Num(unit="t REO/yr", min=0.0,
                                               desc="quota-controlled separation rate before a year's first batch"),
        "batches": TableArray(default=[], item=Table(fields={
            "id": Str(),
            "year": Num(unit="year", integer=True, min=2000, max=2100, uncertain=False),
            "issued": Date(desc="date the batch was issued (or expected)"),
            "delay_days": Num(unit="days", min=0.0, default=0.0, desc="lateness after 'issued'"),
            "mining_t": Num(unit="t REO", min=0.0),
            "rock_share": Num(unit="share of mining_t", min=0.0, max=1.0),
            "smelting_t": Num(unit="t REO", min=0.0),
            "disclosed": Bool(default=True, desc="false where the volume was kept secret"),
        })),
    }),
    "mines": TableArray(item=Table(fields={
        "id": Str(),
        "country": Str(),
        "ore": Ref(target="ores"),
        "capacity_t_per_year": Num(unit="t REO/yr", min=0.0),
        "quota": Str(choices=("none", "rock", "ionic"), default="none",
                     desc="which quota allowance limits the mine (China only)"),
        "to": Ref(target="separation", desc="separation plant the concentrate goes to"),
        "lane": Ref(target="ore_lanes", default=None, desc="ore trade lane; omit for a domestic mine"),
        "outages": TableArray(keyed=False, default=[], item=_outage),
    })),
    "ore_lanes": TableArray(default=[], item=Table(fields={
        "id": Str(),
        "origin": Str(desc="exporting country"),
        "transit_days": _days_event,
        "cuts": TableArray(keyed=False, default=[], item=_cut),
        "under_quota_from": Date(default=None, desc="from this date the ore counts against the smelting quota"),
    })),
    "separation": TableArray(item=Table(fields={
        "id": Str(),
        "country": Str(),
        "capacity_t_per_year": Num(unit="t REO/yr", min=0.0),
        "quota": Bool(default=False, desc="limited by China's smelting quota"),
        "initial_stock_days": Num(unit="days of magnet-maker use", min=0.0, default=30.0),
        "recycling_t_per_year": MapOf(keys=COMPONENTS, value=_tpy, default={},
                                      desc="oxide from recycled scrap added to output"),
        "other_uses_t_per_year": MapOf(keys=COMPONENTS, value=_tpy, default={},
                                       desc="oxide demand outside magnets (catalysts, alloys, ...)"),
    })),
    "grades": MapOf(desc="Magnet grades and their recipes (t oxide per t magnet).", value=Table(fields={
        "ndpr": Num(unit="t NdPr oxide / t magnet", min=0.0, max=1.0, uncertain=False),
        "dytb": Num(unit="t Dy/Tb oxide / t magnet", min=0.0, max=1.0, uncertain=False),
    })),
    "magnet_plants": TableArray(item=Table(fields={
        "id": Str(),
        "country": Str(),
        "capacity_t_per_year": Num(unit="t magnet/yr", min=0.0),
        "lead_time_days": Num(unit="days", min=0.0, per_event=True, desc="campaign start to goods ready"),
        "capacity_changes": TableArray(keyed=False, default=[], item=Table(fields={
            "date": Date(), "capacity_t_per_year": Num(unit="t magnet/yr", min=0.0)})),
        "oxide_sources": MapOf(keys=("ndpr", "dytb"), value=ListOf(item=_oxide_source, min_len=1),
                               desc="where the plant buys each oxide"),
        "oxide_stock_days": Num(unit="days of use", min=0.0, default=60.0),
        "oxide_review_days": Num(unit="days", min=0.0, min_exclusive=True, default=14.0, uncertain=False),
        "allocation": Str(choices=ALLOCATION_RULES, default="pro_rata"),
    })),
    "export_controls": Table(fields={
        "origin": Str(default="China"),
        "customs_days": Num(unit="days", min=0.0, per_event=True, default=0.0,
                            desc="release to departure (when customs records the export)"),
        "rules": TableArray(keyed=False, default=[], item=Table(fields={
            "name": Str(),
            "start": Date(),
            "end": Date(default=None),
            "products": ListOf(item=Str(), min_len=1),
            "destinations": ListOf(item=Str(), default=["*"]),
            "regime": Str(choices=REGIMES),
        })),
        "office": Table(fields={
            "reviewers": Num(unit="reviewers", min=0, integer=True),
            "review_working_days": Num(unit="working days", min=0.0, per_event=True),
            "approval": _approval,
            "max_attempts": Num(unit="applications", min=1, integer=True, default=3, uncertain=False),
            "reapply_days": Num(unit="days", min=0.0, per_event=True, default=5.0),
            "licence_valid_days": Num(unit="days", min=0.0, default=0.0,
                                      desc="an approval covers later shipments to the same customer this long"),
            "changes": TableArray(keyed=False, default=[], item=_office_change),
        }),
    }),
    "lanes": TableArray(default=[], item=Table(fields={
        "id": Str(),
        "origin": Str(),
        "destination": Str(),
        "transit_days": _days_event,
    })),
    "demand": Table(fields={
        "powertrains": MapOf(desc="kg of magnet per vehicle, by powertrain then grade",
                             value=MapOf(value=Num(unit="kg/vehicle", min=0.0))),
        "automakers": TableArray(item=Table(fields={
            "id": Str(),
            "name": Str(default=""),
            "region": Str(),
            "country": Str(desc="destination country of its magnet shipments"),
            "vehicles_per_year": MapOf(value=Num(unit="vehicles/yr", min=0.0)),
            "suppliers": ListOf(item=_supplier, min_len=1),
            "stock_days": Num(unit="days of cover", min=0.0),
            "review_days": Num(unit="days", min=0.0, min_exclusive=True, default=7.0, uncertain=False),
            "lead_time_days": Num(unit="days", min=0.0, desc="expected order-to-receipt time used in the order-up-to level"),
            "priority": Num(unit="rank (1 = first)", min=1, integer=True, default=1, uncertain=False),
        })),
        "sectors": TableArray(default=[], item=Table(fields={
            "id": Str(),
            "name": Str(default=""),
            "country": Str(),
            "demand_t_per_year": Num(unit="t magnet/yr", min=0.0),
            "grade_shares": MapOf(value=Num(unit="share", min=0.0, max=1.0, uncertain=False)),
            "suppliers": ListOf(item=_supplier, min_len=1),
            "order_days": Num(unit="days", min=0.0, min_exclusive=True, default=7.0, uncertain=False),
            "priority": Num(unit="rank (1 = first)", min=1, integer=True, default=2, uncertain=False),
        })),
    }),
})


def _walk(spec: Field, path: str, rows: list[dict[str, Any]]) -> None:
    if isinstance(spec, Table):
        for key, sub in spec.fields.items():
            _walk(sub, f"{path}.{key}" if path else key, rows)
        return
    if isinstance(spec, TableArray):
        _walk(spec.item, f"{path}[]", rows)
        return
    default = "(required)" if spec.required else spec.default
    rows.append({
        "path": path,
        "type": spec.kind(),
        "unit": getattr(spec, "unit", ""),
        "default": default,
        "allowed": describe(spec),
        "description": spec.desc,
    })


def field_table() -> pd.DataFrame:
    """Every scenario field with its type, unit, default, allowed values and description."""
    rows: list[dict[str, Any]] = []
    _walk(SCHEMA, "", rows)
    return pd.DataFrame(rows)

