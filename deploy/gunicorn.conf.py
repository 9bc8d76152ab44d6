"""gunicorn settings for the web tier: `gunicorn -c deploy/gunicorn.conf.py idbeheer.wsgi:app`.

Workers are stateless: sessions, replay cache and outstanding requests live in Redis, the
rights in PostgreSQL, so any number of nodes can run behind the load balancer."""
import multiprocessing
import os
import tempfile

bind = os.environ.get("IDBEHEER_BIND", "127.0.0.1:8000")
# Signing dominates the AttributeQuery path and is CPU-bound: one worker per core.
workers = int(os.environ.get("IDBEHEER_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # the app writes its own JSON access lines without query strings
errorlog = "-"
loglevel = "info"
preload_app = False  # each worker opens its own database pool and keys

# Prometheus multiprocess mode: every worker writes its samples to this folder.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="idbeheer-metrics-"))


def post_worker_init(worker):
    """Move everything the app loaded (modules, keys, metadata, SQLAlchemy's compiled
    statements) out of the garbage collector's sight: full collections then walk only what
    requests allocate, instead of pausing a request for every long-lived object.
    IDBEHEER_GC_FREEZE=0 turns it off (to compare)."""
    if os.environ.get("IDBEHEER_GC_FREEZE", "1") != "0":
        import gc

        gc.collect()
        gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
