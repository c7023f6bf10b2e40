"""gunicorn's settings for ShopOps (docker-compose's web service and the image's CMD: `gunicorn -c
gunicorn.conf.py shopops.wsgi:application`). Command-line options override these.

The access log must not carry personal data or keys (SECURITY.md): a page searched by phone
(`/orders/?q=138…`) or a referer holding such a search would put them there. So the line has the method and
the PATH only (`%(U)s`, never the request line `%(r)s` or the query string `%(q)s`), no referer, and every
line of gunicorn's access and error logs also goes through shopops.common.logscrub.ScrubFilter.
"""

import os

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
# remote address, time, "METHOD /path PROTOCOL", status, bytes, duration (ms), user agent
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class ScrubbedLogger(Logger):
    """gunicorn's logger with the scrub filter on every handler of its error and access logs."""

    def setup(self, cfg):
        super().setup(cfg)
        from shopops.common.logscrub import ScrubFilter  # after the config loaded: the project is importable

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, ScrubFilter) for f in handler.filters):
                    handler.addFilter(ScrubFilter())


logger_class = ScrubbedLogger
