"""The bridge as SAML SP of the upstream eID IdP ("backend" in SATOSA's words).

`peer` finds the upstream IdP in metadata/upstream/, `metadata` publishes our SP metadata,
`authn` sends signed AuthnRequests and keeps them outstanding in the shared store, `acs`
checks the answer and yields a `SignedInPerson`, `logout` speaks SLO with the upstream IdP.
"""
