"""The numbers of the mass balance, as arrays (:meth:`Ledger.balance` and :meth:`Ledger.check_balance`).

Kept apart from the ledger's hot path (booking flows). The check runs after every
replication, so it works on whole arrays and builds no DataFrame unless it fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = ["balance_columns"]


def balance_columns(ledger: Ledger) -> tuple[list[tuple[str, str, str]], np.ndarray, np.ndarray, list[Any]]:
    """(stage, node, material) rows with their inflow and outflow arrays and end stocks (list).

    Rows: every stock-holding node, in registration order, and each material it
    booked or holds, sorted by name. Totals are whole-array reductions: no Python loop
    over flows (the check runs after every replication).
    """
    _, src, dst, mat, q = ledger._columns()
    k = len(ledger._names)
    size = max(k * k, 1)
    out_key, in_key = src * k + mat, dst * k + mat
    outflow = np.bincount(out_key, weights=q, minlength=size)
    inflow = np.bincount(in_key, weights=q, minlength=size)
    touched = np.zeros(size, dtype=bool)
    touched[out_key] = True
    touched[in_key] = True
    rows: list[tuple[str, str, str]] = []
    keys: list[int] = []
    stock: list[float] = []
    missing = len(inflow)  # the key of a material the node never booked: a zero appended below
    for name, (stage, stocks) in ledger.nodes.items():
        if stocks is None:
            continue
        held = stocks()
        nid = ledger._ids.get(name)
        booked = np.flatnonzero(touched[nid * k:(nid + 1) * k]).tolist() if nid is not None else []
        mats = {ledger._names[m] for m in booked} | set(held)
        for material in sorted(mats):
            mid = ledger._ids.get(material)
            keys.append(nid * k + mid if nid is not None and mid is not None else missing)
            rows.append((stage, name, material))
            stock.append(held.get(material, 0.0))
    at = np.asarray(keys, dtype=np.int64)
    return rows, np.append(inflow, 0.0)[at], np.append(outflow, 0.0)[at], stock
