"""Issue 11.1: metadata past its validUntil is refused with a clear log line and page, never a
500: an application's (its AuthnRequest gets our 400 page, no answer to an ACS that nobody
vouches for any more) and the upstream IdP's (every sign-in a 503 page)."""
import datetime as dt

from samlkit.samlxml import instant


def test_an_application_with_expired_metadata_gets_a_page_not_an_answer(bridge, caplog):
    sp = bridge.sp("demo-app")
    sp.publish(valid_until=bridge.clock() + dt.timedelta(hours=1))
    client = bridge.app.test_client()
    assert client.get(sp.login_url()).status_code == 302  # valid: on to dev_eid
    # The registered copy's validUntil passes (the clock is not moved: the SP's requests carry
    # the real time)
    sp.publish(valid_until=bridge.clock() - dt.timedelta(seconds=1))
    with caplog.at_level("WARNING", logger="idp_bridge.downstream.requests"):
        refused = client.get(sp.login_url())
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "registratie van deze toepassing is verlopen" in page and "metadata_expired" in page
    assert "SAMLResponse" not in page
    assert "demo-app refused: the metadata of" in caplog.text and "expired at" in caplog.text
    assert [e.reason for e in bridge.events()][-1] == "metadata_expired"
    sp.publish(valid_until=bridge.clock() + dt.timedelta(days=1))  # renewed: served at once
    assert client.get(sp.login_url()).status_code == 302


def test_expired_upstream_metadata_is_a_503_page_for_every_sign_in(bridge, caplog):
    sp = bridge.sp("demo-app")
    upstream = bridge.metadata_dir / "upstream" / "dev-eid.xml"
    xml = upstream.read_bytes().replace(
        b"<md:EntityDescriptor ",
        f'<md:EntityDescriptor validUntil="{instant(bridge.clock() - dt.timedelta(minutes=1))}" '.encode(), 1)
    upstream.write_bytes(xml)
    with caplog.at_level("ERROR", logger="idp_bridge.upstream.peer"):
        answer = bridge.app.test_client().get(sp.login_url())
    assert answer.status_code == 503 and "Wat nu?" in answer.get_data(as_text=True)
    assert "upstream IdP metadata refused" in caplog.text and "expired at" in caplog.text


def test_broken_upstream_metadata_is_a_503_page_not_a_500(bridge, caplog):
    sp = bridge.sp("demo-app")
    (bridge.metadata_dir / "upstream" / "dev-eid.xml").write_bytes(b"<md:EntityDescriptor>")
    with caplog.at_level("ERROR", logger="idp_bridge.upstream.peer"):
        answer = bridge.app.test_client().get(sp.login_url())
    assert answer.status_code == 503, answer.data[:300]
    assert "dev-eid.xml not usable" in caplog.text
    assert "Wat nu?" in answer.get_data(as_text=True)
