"""demo-app: the sample target application of DESIGN.md, and the integration guide
(README.md) for application owners."""
from .app import create_app
from .registration import ensure_demo_app

__all__ = ["create_app", "ensure_demo_app"]
