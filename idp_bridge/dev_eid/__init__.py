"""dev_eid: a real SAML IdP standing in for the federal eID service, for demo and tests.

Mounted at /dev-eid/ only outside production. It lists the national register's test persons,
lets the user pick one and "eID" or "token", and answers like the federal service: transient
NameID, egovNRN/surname/givenName/mail/PrefLanguage, citizen:eid or citizen:token, Response
and Assertion both signed with its own generated development key. It can be told to fail
(cancelled by the user, card error) to exercise the bridge's error paths.
"""
