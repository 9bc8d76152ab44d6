"""The IdP bridge: SAML SP towards the upstream eID IdP, SAML IdP towards the target
applications, the browser session (R12), the single-capacity rule (R13) and the sign-in trail
(R14).

Shaped like SATOSA: `upstream/` speaks to the eID IdP, `downstream/` to the applications, and
they meet in one protocol-neutral record, `person.SignedInPerson` (person, method, capacity).
`web.create_bridge_app` builds the WSGI app from explicit dependencies (`BridgeDeps`).
"""
