"""Composition root of lb-idbeheer: settings, the `idbeheer` CLI and the all-in-one WSGI app
that mounts the bridge, the attribute authority and the admin UI. Nothing imports it."""
