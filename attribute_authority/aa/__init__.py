"""The attribute authority's front door: SAML 2.0 AttributeQuery over SOAP 1.1 (DESIGN.md,
"AttributeQuery").

    soap.py       the SOAP envelope in and out, SOAP faults
    query.py      the verified query: issuer, signature, freshness, subject, scope
    nameids.py    the port that maps the bridge's pairwise NameIDs back to an RRN
    response.py   the signed samlp:Response with its signed Assertion
    metadata.py   our own metadata (GET /aa/metadata)
    keys.py       the AA's key pairs: signing (with rollover) and encryption
    authority.py  one query in, one answer out: the protocol without HTTP
    endpoint.py   POST /aa/soap as a plain WSGI callable (method, transport, size)
    web.py        the Flask blueprint (the only module here that knows Flask)

Security checks come from `samlkit`; rules and the rights read from the
domain layer (`rights_query.answer`). Nothing here imports the bridge, the admin UI or the
composition root.
"""
