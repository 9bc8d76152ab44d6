"""Every query that is not signed by its registered issuer, fresh and first-seen gets
Requester/RequestDenied (or a 4xx SOAP Fault when it is not even a query) and releases
nothing; every refusal leaves a log line with its reason."""
import copy
import logging
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree
from support import BART, CHRIS, MERELBEKE
from support.aa import (
    SAML,
    SAMLP,
    SOAP_ENV,
    envelope,
    query,
    read,
    register_app,
    sha1_signed,
    signed,
    sp_metadata,
    target_app,
    unit_of_work,
)

DENIED = ["Requester", "RequestDenied"]


def _released_nothing(reply) -> bool:
    return b"Assertion" not in reply.content and b"demo-app-" not in reply.content


def _denied(reply) -> bool:
    return (reply.status_code == 200 and read(reply.content).statuses == DENIED
            and _released_nothing(reply))


def _fault(reply, status=400) -> bool:
    fault = etree.fromstring(reply.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    return reply.status_code == status and fault is not None and _released_nothing(reply)


def test_unsigned_query(aa_server):
    assert _denied(aa_server.post(envelope(query(aa_server.demo.entity_id, BART))))


def test_signed_by_an_unregistered_key(aa_server, tmp_path):
    stranger = target_app(tmp_path, aa_server.base_url, "stranger")
    q = signed(query(aa_server.demo.entity_id, BART), stranger.keypair)
    assert _denied(aa_server.post(envelope(q)))


def test_unknown_issuer(aa_server, tmp_path):
    stranger = target_app(tmp_path, aa_server.base_url, "stranger")
    assert _denied(aa_server.post(envelope(signed(query(stranger.entity_id, BART),
                                                  stranger.keypair))))


def test_an_application_whose_metadata_expired_is_denied(aa_server, caplog):
    """Issue 11.1: the registered copy's validUntil has passed (registered when it was valid):
    RequestDenied, with the reason in the log, until a current copy is registered."""
    from sqlalchemy import update

    from attribute_authority.models import ApplicationMetadata
    from attribute_authority.sp_metadata import _bump

    app = register_app(aa_server, "expiring")
    q = lambda: envelope(signed(query(app.entity_id, BART), app.keypair))  # noqa: E731
    assert read(aa_server.post(q()).content).statuses == ["Success"]
    expired = sp_metadata(app).replace(b"<md:EntityDescriptor ",
                                       b'<md:EntityDescriptor validUntil="2020-01-01T00:00:00Z" ', 1)
    with unit_of_work(aa_server.db) as session:
        session.execute(update(ApplicationMetadata).where(ApplicationMetadata.app_code == "expiring")
                        .values(xml=expired, updated_at=datetime.now(timezone.utc)))
        # (newer than metadata/sp/expiring.xml, which would otherwise be imported over it)
        _bump(session)
    aa_server.app.extensions["idbeheer.sp_registry"].reload()  # not waiting for its next poll
    caplog.set_level(logging.INFO, logger="attribute_authority.aa")
    assert _denied(aa_server.post(q()))
    assert "reason=metadata_expired" in caplog.text


def test_issuer_of_one_application_signed_with_anothers_key(aa_server):
    other = register_app(aa_server, "keythief")
    q = signed(query(aa_server.demo.entity_id, BART), other.keypair)
    assert _denied(aa_server.post(envelope(q)))


def test_replayed_query(aa_server):
    body = envelope(signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair))
    assert read(aa_server.post(body).content).statuses == ["Success"]
    assert _denied(aa_server.post(body))


@pytest.mark.parametrize("minutes", [-4, 4, -60 * 24])
def test_stale_or_future_issue_instant(aa_server, minutes):
    issued = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    q = signed(query(aa_server.demo.entity_id, BART, issued=issued), aa_server.demo.keypair)
    assert _denied(aa_server.post(envelope(q)))


@pytest.mark.parametrize("minutes", [-2, 2])
def test_issue_instant_within_the_skew(aa_server, minutes):
    issued = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    q = signed(query(aa_server.demo.entity_id, BART, issued=issued), aa_server.demo.keypair)
    assert read(aa_server.post(envelope(q)).content).statuses == ["Success"]


def test_rsa_sha1_signature(aa_server):
    q = sha1_signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    assert _denied(aa_server.post(envelope(q)))


def test_wrong_destination(aa_server):
    q = signed(query(aa_server.demo.entity_id, BART, destination="https://elsewhere/aa/soap"),
               aa_server.demo.keypair)
    assert _denied(aa_server.post(envelope(q)))


def test_right_destination(aa_server):
    q = signed(query(aa_server.demo.entity_id, BART, destination=aa_server.soap_url),
               aa_server.demo.keypair)
    assert read(aa_server.post(envelope(q)).content).statuses == ["Success"]


@pytest.mark.parametrize("governments", [[""], ["  "], [MERELBEKE, ""]])
def test_an_empty_government_value_is_refused_not_read_as_every_government(aa_server, caplog,
                                                                            governments):
    """Dropping the empty value would answer for every government of Chris (who holds
    demo-app-admin in Merelbeke-Melle): refused as bad_scope, RequestDenied, nothing released."""
    caplog.set_level(logging.INFO, logger="attribute_authority.aa")
    q = signed(query(aa_server.demo.entity_id, CHRIS, governments=governments),
               aa_server.demo.keypair)
    assert _denied(aa_server.post(envelope(q)))
    assert "bad_scope" in {getattr(r, "reason", None) for r in caplog.records}


# -- signature wrapping -------------------------------------------------------------------


def _evil(server):
    """An unsigned query about Chris, who holds demo-app-admin."""
    return query(server.demo.entity_id, CHRIS)


def test_second_unsigned_query_in_the_body(aa_server):
    good = signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    assert _fault(aa_server.post(envelope(good, _evil(aa_server))))
    assert _fault(aa_server.post(envelope(_evil(aa_server),
                                          signed(query(aa_server.demo.entity_id, BART),
                                                 aa_server.demo.keypair))))


def test_signed_query_in_the_header_evil_copy_in_the_body(aa_server):
    good = signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    evil = _evil(aa_server)
    evil.set("ID", good.get("ID"))
    evil.insert(1, copy.deepcopy(good.find("{http://www.w3.org/2000/09/xmldsig#}Signature")))
    assert _denied(aa_server.post(envelope(evil, header=good)))


def test_extra_name_id_beside_the_signed_one(aa_server):
    q = signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    subject = q.find(f"{{{SAML}}}Subject")
    evil = etree.SubElement(subject, f"{{{SAML}}}NameID")
    evil.text = CHRIS
    subject.insert(0, evil)
    assert _denied(aa_server.post(envelope(q)))


def test_extra_subject_beside_the_signed_one(aa_server):
    q = signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    q.append(copy.deepcopy(_evil(aa_server).find(f"{{{SAML}}}Subject")))
    assert _denied(aa_server.post(envelope(q)))


def test_evil_subject_in_the_header_is_ignored(aa_server):
    q = signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair)
    evil_subject = _evil(aa_server).find(f"{{{SAML}}}Subject")
    answer = read(aa_server.post(envelope(q, header=evil_subject)).content)
    assert answer.statuses == ["Success"] and answer.rights == ["demo-app-reader@44088"]


# -- not a query at all ---------------------------------------------------------------------


def test_doctype_and_xxe(aa_server):
    body = envelope(signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair))
    xxe = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           + body.split(b"?>", 1)[1].replace(BART.encode(), b"&x;"))
    reply = aa_server.post(xxe)
    assert _fault(reply) and b"root:" not in reply.content


def test_ten_megabyte_body_is_413_before_parsing(aa_server, caplog):
    huge = b"<a>" + b"x" * (10 * 1024 * 1024) + b"</a>"
    reply = aa_server.app.test_client().post("/aa/soap", data=huge,
                                             content_type="text/xml")
    assert reply.status_code == 413 and b"Fault" in reply.data
    assert any(getattr(r, "reason", None) == "too_large" for r in caplog.records)


@pytest.mark.parametrize("body", [
    b"",
    b"not xml at all",
    b"<unclosed>",
    b"<samlp:AttributeQuery xmlns:samlp='" + SAMLP.encode() + b"'/>",
    b"<soap:Envelope xmlns:soap='" + SOAP_ENV.encode() + b"'/>",
    b"<soap:Envelope xmlns:soap='" + SOAP_ENV.encode() + b"'><soap:Body/></soap:Envelope>",
    b"<soap:Envelope xmlns:soap='" + SOAP_ENV.encode() + b"'><soap:Body>text</soap:Body></soap:Envelope>",
    b"<soap:Envelope xmlns:soap='" + SOAP_ENV.encode() + b"'><soap:Body><x/></soap:Body></soap:Envelope>",
    b"<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'><e:Body/></e:Envelope>",
    b"<soap:Envelope xmlns:soap='" + SOAP_ENV.encode() + b"'><soap:Header><h soap:mustUnderstand='1'/>"
    b"</soap:Header><soap:Body><x/></soap:Body></soap:Envelope>",
    "<é/>".encode("utf-16"),
])
def test_malformed_soap_is_a_400_fault(aa_server, body):
    assert _fault(aa_server.post(body))


def test_refusals_are_logged_with_reason_and_issuer(aa_server, caplog):
    caplog.set_level(logging.INFO, logger="attribute_authority.aa")
    aa_server.post(envelope(query(aa_server.demo.entity_id, BART)))
    (record,) = [r for r in caplog.records if getattr(r, "event", "") == "aa.query_refused"]
    assert record.reason == "signature_unsigned"
    assert record.issuer == aa_server.demo.entity_id
    assert BART not in record.getMessage()
