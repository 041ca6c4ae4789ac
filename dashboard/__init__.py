"""The Django project: settings, URLs, checks, the Jinja2 environment, WSGI."""
