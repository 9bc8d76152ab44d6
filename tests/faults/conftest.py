"""Fixtures of the fault tests: private servers that a test may stop and start."""
from support.private_servers import private_postgres, private_redis  # noqa: F401
