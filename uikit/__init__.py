"""The shared look of the web pages (a leaf package): one stylesheet, `static/look.css`.

The admin UI serves it at /admin/static/look.css, the bridge at /idp/static/look.css and
dev_eid at /dev-eid/static/look.css, so a person going from the sign-in pages to the admin UI
sees one service (issue 13 p. 15). Each web part serves the folder under its own URL prefix,
because admin_ui and idp_bridge never import each other and are mounted as separate apps;
like the other toolkits, this package imports none of the product packages."""
from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"
"""the folder to serve as a Flask static folder"""
STYLESHEET = "look.css"
