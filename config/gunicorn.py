"""gunicorn's configuration: `make serve` and deploy/ run the app with it.

gunicorn's sync workers each serve one request at a time, reading it from the socket as it
arrives: a client that sends slowly holds a worker for as long as it likes. The app therefore
listens on loopback only and expects a buffering proxy in front (deploy/nginx/), which reads
every request in full before passing it on. Settings come from the environment (README).
"""

import logging
import os
import re

bind = f"{os.environ.get('BIND_ADDRESS', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# Scheme headers (X-Forwarded-Proto) are believed only from the proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# A request is bounded well within this; a worker stuck past it is replaced.
timeout = 30
graceful_timeout = 30
# The proxy keeps its upstream connections open between requests.
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = "-"
errorlog = "-"
# The path without its query string: a query string may carry what a client should not have
# sent (a patient's name), and the access log must not keep it. No referrer either, which
# carries the previous page's query string.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# The control socket (gunicornc) is not used; one per host would also collide between instances.
control_socket_disable = True


class _NoClientData(logging.Filter):
    """gunicorn's error log quotes what a client sent when it refuses a request (a request line
    split at a space: "Invalid HTTP Version: 'Doe&dob=1961-04-02 HTTP/1.1'"), and names the URI
    of a request whose handling failed. The quoted text and the query string go; what kind of
    request was refused stays."""

    QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
    QUERY = re.compile(r"\?\S*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.QUERY.sub("", self.QUOTED.sub("'…'", record.getMessage()))
        record.msg, record.args = message, ()
        return True


def on_starting(server) -> None:
    # The master's loggers, which the workers it forks inherit.
    server.log.error_log.addFilter(_NoClientData())
