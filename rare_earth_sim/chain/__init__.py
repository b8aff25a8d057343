"""Model components, one module per stage of the rare-earth magnet chain."""
