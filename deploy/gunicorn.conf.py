"""gunicorn for Weerbaar in production: `gunicorn -c deploy/gunicorn.conf.py` (deploy/systemd/weerbaar-web.service).

Every value comes from the environment file, with the defaults below. The start is refused, before any
worker runs, when the settings cannot work (ProductionConfig.check: secret, database, and rate-limit storage
shared by all workers).
"""
import os

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request longer than this (the largest export) is cut off and the worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Only nginx on this machine may say which scheme the visitor used.
forwarded_allow_ips = "127.0.0.1"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# The control socket would be made in $HOME, which the systemd unit keeps read-only; reload with SIGHUP.
control_socket_disable = True
# Workers are renewed now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200


def on_starting(server) -> None:  # noqa: ANN001 (gunicorn's Arbiter)
    """Tells the app how many workers share its limits, then checks the settings once, in the master."""
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)
    if os.environ.get("FLASK_CONFIG") != "production":
        return
    from config import ProductionConfig

    try:
        ProductionConfig.check()
    except RuntimeError as error:
        raise SystemExit(f"Weerbaar start niet: {error}") from None
