"""Management commands, one module each (`manage.py check_api`)."""
