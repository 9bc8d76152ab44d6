"""The rights store of lb-idbeheer: people, governments, relations, applications, rights and
grants, the rules R1–R11 that govern them, the audit trail, and the SAML attribute authority
that answers target applications. Imports neither idp_bridge nor admin_ui."""
