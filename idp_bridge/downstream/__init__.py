"""The bridge as SAML IdP of the target applications ("frontend" in SATOSA's words).

`metadata` publishes our IdP metadata, `requests` checks an application's AuthnRequest
against its registered metadata, `attributes` decides what one application gets to see, and
`responses` builds the signed answer.
"""
