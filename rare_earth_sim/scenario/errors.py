"""The one error users see for a bad scenario."""

from __future__ import annotations

__all__ = ["ScenarioError"]


class ScenarioError(ValueError):
    """A scenario file (or override) is invalid.

    The message names the file, the field's path (``export_controls.rules[0].regime``),
    what is wrong and what is allowed.

    Attributes
    ----------
    source : str
        The file (or ``<overrides>``) the value came from.
    path : str
        Dotted path of the field, with ``[i]`` for array entries.
    problem : str
        What is wrong.
    allowed : str
        What would be accepted.
    """

    def __init__(self, source: str, path: str, problem: str, allowed: str = "") -> None:
        self.source = source
        self.path = path
        self.problem = problem
        self.allowed = allowed
        msg = f"{source}: {path or '<top level>'}: {problem}"
        if allowed:
            msg += f" (allowed: {allowed})"
        super().__init__(msg)
