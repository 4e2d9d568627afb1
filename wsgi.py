"""WSGI entry point: `gunicorn wsgi:app`."""
import gc

from eventkit import create_app

app = create_app()
# The modules, the app and its caches live as long as the process: keep them out of the collector's
# full passes, which otherwise walk every one of them (a few hundred thousand objects, 100-200 ms
# on a busy machine) every dozen or so requests of a large page (bench/pages.py measures this).
gc.collect()
gc.freeze()
