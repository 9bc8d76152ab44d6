"""The OpenID Connect provider side towards target applications (DESIGN.md "OpenID Connect").

The second front end on the bridge's one signed-in-person record and session, beside the SAML
IdP side in `downstream/`. One module per endpoint or job, Authlib's shape: `discovery`,
`signing` (the OP key and JWKS), `clients` (registration and client authentication),
`grants` (codes, tokens, refresh tokens in the shared store), `claims`, `token`,
`authorize`, `userinfo`, `introspect`, `rights`, `logout`; `web` mounts them. JOSE and the
OAuth error vocabulary come from Authlib (`joserfc`, `authlib.oauth2`), never by hand.
"""
