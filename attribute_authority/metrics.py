"""Prometheus metrics of the service, defined once here so every part can count without
importing the composition root. Under gunicorn, prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR) aggregates the workers; /metrics renders them."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

SIGN_INS = Counter("idbeheer_sign_ins_total", "Sign-in attempts by outcome and reason",
                   ["outcome", "reason"])
AA_QUERIES = Counter("idbeheer_aa_queries_total", "AttributeQueries answered, by outcome",
                     ["outcome"])
AA_LATENCY = Histogram("idbeheer_aa_query_seconds", "Time to answer one AttributeQuery",
                       buckets=(.001, .0025, .005, .01, .02, .05, .1, .25, 1))
ADMIN_CHANGES = Counter("idbeheer_admin_changes_total", "Recorded changes, by action", ["action"])
NOTICES = Counter("idbeheer_notices_total", "Expiry notices, by result", ["result"])
HTTP_LATENCY = Histogram("idbeheer_http_request_seconds", "HTTP request duration by endpoint",
                         ["endpoint", "status"],
                         buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
