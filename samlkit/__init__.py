"""The SAML toolkit shared by the attribute authority, the idp_bridge, the admin UI and demo-app.

A leaf package: hardened XML parsing, key material, XML signatures, encryption, peer metadata,
bindings, the SP client (`sp_client`, `sp_logout`) and logout messages. It knows nothing of
Flask, sessions or the rights store and imports none of the product packages, so every front door
relies on one set of checks; every refusal is an error of `errors.py` carrying a stable `reason`
code.
"""
