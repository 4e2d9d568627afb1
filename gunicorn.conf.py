"""gunicorn settings for eventkit: `gunicorn -c gunicorn.conf.py wsgi:app`.

The access log and the error log mask the secret part of every secret URL (personal links, door
links, check-in codes, one-click links: see eventkit/logmask.py). Settings given on the command
line (e.g. `--bind`, `--certfile`) override the ones here. Environment variables:
EVENTKIT_BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (workers, default 2), GUNICORN_THREADS
(default 4: a long request, such as an import's confirm, then holds one thread and not every phone
whose keep-alive connection that worker serves), EVENTKIT_ACCESS_LOG / EVENTKIT_ERROR_LOG (files; default "-", standard output/error).
"""
import os

from gunicorn.glogging import Logger

from eventkit.logmask import format_atoms, mask_atoms
from eventkit.logmask import install as mask_log_records

bind = os.environ.get("EVENTKIT_BIND", "127.0.0.1:8000")
worker_class = "gthread"  # keeps phones' connections alive (see the README on SQLite)
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = os.environ.get("EVENTKIT_ACCESS_LOG", "-")
errorlog = os.environ.get("EVENTKIT_ERROR_LOG", "-")
#: the Referer is logged too; masked like the request line
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


class MaskingLogger(Logger):
    """gunicorn's logger with secrets masked in every access-log field its format prints."""

    def atoms(self, resp, req, environ, request_time):
        return mask_atoms(super().atoms(resp, req, environ, request_time), format_atoms(self.cfg.access_log_format))


logger_class = MaskingLogger
mask_log_records()  # gunicorn's own error-log lines ("Error handling request /g/...")
