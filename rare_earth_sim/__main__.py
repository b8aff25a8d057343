"""``python -m rare_earth_sim``: the command line."""

from .cli import main

raise SystemExit(main())
