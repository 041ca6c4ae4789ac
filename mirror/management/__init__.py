"""The mirror app's management commands."""
