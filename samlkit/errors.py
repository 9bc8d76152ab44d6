"""Refusals of the SAML security layer.

Each carries a stable `reason` code (logged, counted in metrics, tested against) and a human
message. Front doors map them to their own answer: a SAML status for a peer, a 4xx page for a
browser. The message may name the peer's mistake; it never carries key material.
"""

from __future__ import annotations


class SamlSecurityError(Exception):
    """Base class: a message, key or metadata file was refused."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class XmlRefused(SamlSecurityError):
    """The bytes are not XML we are willing to read.

    Reasons: `too_large`, `doctype`, `malformed`.
    """


class SignatureRefused(SamlSecurityError):
    """A signature is missing, broken, weak, from an untrusted key or shaped for wrapping.

    Reasons: `not_found`, `unsigned`, `missing_id`, `wrapping`, `bad_transform`,
    `weak_algorithm`, `untrusted_key`, `bad_signature`.
    """


class DecryptionRefused(SamlSecurityError):
    """An EncryptedID or EncryptedAssertion could not, or may not, be decrypted.

    Reasons: `weak_algorithm`, `malformed`, `undecryptable`. Every cryptographic failure is
    reported as `undecryptable` with one fixed message, so the answer is no padding oracle.
    """


class MetadataRefused(SamlSecurityError):
    """A metadata file cannot be used.

    Reasons: `bad_name`, `not_sp`, `not_idp`, `no_entity_id`, `duplicate_entity_id`,
    `ambiguous`, `bad_certificate`, `bad_endpoint`, `bad_flag`; unreadable XML raises `XmlRefused`.
    """


class KeyMaterialRefused(SamlSecurityError):
    """Key or certificate files are missing, unreadable, mismatched or incomplete.

    Reasons: `missing`, `unreadable`, `mismatch`, `incomplete`, `dev_key` (in production).
    """


class AssertionRefused(SamlSecurityError):
    """A Web SSO Response or its (verified) Assertion is not for us, not now, or not an answer
    to a request of ours.

    Reasons: `not_a_response`, `wrong_issuer`, `wrong_destination`, `encrypted_assertion`,
    `no_subject`, `wrong_recipient`, `expired`, `not_yet_valid`, `bad_confirmation`,
    `in_response_to_mismatch`, `no_bearer_confirmation`, `no_conditions`, `wrong_audience`,
    `no_authn_statement`, `replayed`, `unknown_in_response_to`.
    """


class LogoutRefused(SamlSecurityError):
    """A (signature-verified) LogoutRequest or LogoutResponse is not for us, not now, or not
    an answer to a request of ours; or there is no endpoint to send one to.

    Reasons: `not_a_logout_request`, `not_a_logout_response`, `wrong_issuer`,
    `wrong_destination`, `expired`, `not_yet_valid`, `no_name_id`, `no_id`, `replayed`,
    `unknown_in_response_to`, `no_slo_endpoint`.
    """
