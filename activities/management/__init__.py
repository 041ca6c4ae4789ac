"""The activities app's management commands."""
