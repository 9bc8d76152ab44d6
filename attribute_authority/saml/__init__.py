"""The SAML security layer shared by the attribute authority and the idp_bridge.

Hardened XML parsing, key material, XML signatures, EncryptedID and peer metadata. It knows
nothing of Flask, sessions or the rights store, so both front doors can rely on one set of
checks; every refusal is an error of `errors.py` carrying a stable `reason` code.
"""
