"""The team overview: how each operator and route is doing, read from the local copy."""
