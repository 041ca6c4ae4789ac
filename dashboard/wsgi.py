"""The WSGI application, for gunicorn (gunicorn.conf.py) or any WSGI server."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
application = get_wsgi_application()

# WSGI servers run no system checks: refuse to serve an unsafe production configuration
# (the development secret key, no allowed hosts, no API key, uncollected static files)
# with the same messages manage.py gives. gunicorn then stops: "Worker failed to boot".
from dashboard.checks import refuse_unsafe_startup  # noqa: E402

refuse_unsafe_startup()

# What Django loaded so far lives as long as the process: moved out of the garbage
# collector's reach, its oldest-generation passes no longer walk it (they cost about
# 0.7 ms of a drawn 100-row page; bench/README.md, "Fifth pass").
gc.freeze()
