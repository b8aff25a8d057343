"""How a short supply is split between open orders."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["allocate", "RULES"]

RULES = ("fifo", "pro_rata", "priority")


def allocate(requests: Sequence[float], supply: float, rule: str,
             priorities: Sequence[int] | None = None) -> list[float]:
    """Split ``supply`` (t) between ``requests`` (t, in arrival order).

    Parameters
    ----------
    requests : sequence of float
        Open quantities, oldest first.
    supply : float
        What is available; never more than the total is handed out.
    rule : {"fifo", "pro_rata", "priority"}
        ``fifo``: oldest first. ``pro_rata``: in proportion to the open quantity.
        ``priority``: rank 1 first, pro rata within a rank.
    priorities : sequence of int, optional
        Rank of each request (1 = served first); needed for ``priority``.

    Returns
    -------
    list of float
        Quantity given to each request; ``0 <= given <= request`` and the sum is
        ``min(supply, sum(requests))``.
    """
    total = sum(requests)
    if supply >= total:
        return list(requests)
    if supply <= 0.0:
        return [0.0] * len(requests)
    if rule == "pro_rata":
        f = supply / total
        return [r * f for r in requests]
    if rule == "fifo":
        out, left = [], supply
        for r in requests:
            g = r if r <= left else left
            out.append(g)
            left -= g
        return out
    if rule == "priority":
        if priorities is None:
            raise ValueError("the priority rule needs priorities")
        out = [0.0] * len(requests)
        left = supply
        for rank in sorted(set(priorities)):
            idx = [i for i, p in enumerate(priorities) if p == rank]
            want = sum(requests[i] for i in idx)
            if want <= left:
                for i in idx:
                    out[i] = requests[i]
                left -= want
            else:
                f = left / want
                for i in idx:
                    out[i] = requests[i] * f
                break
        return out
    raise ValueError(f"unknown allocation rule {rule!r}; allowed: {', '.join(RULES)}")
