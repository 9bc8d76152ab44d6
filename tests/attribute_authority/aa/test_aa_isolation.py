"""Each application sees only its own rights (DESIGN.md), and every change is visible to the
next query (R8): no cache, no sleep."""
import uuid

from support import AN, BART, CHRIS, MERELBEKE, NAZARETH
from support.aa import envelope, grant, query, read, register_app, revoke, signed


def _ask(server, app, rrn, governments=None):
    q = signed(query(app.entity_id, rrn, governments=governments), app.keypair)
    return read(server.post(envelope(q)).content)


def test_application_isolation(aa_server):
    code = f"iso{uuid.uuid4().hex[:6]}"
    other = register_app(aa_server, code)
    grant(aa_server, BART, MERELBEKE, f"{code}-user", by=AN)

    mine = _ask(aa_server, other, BART)
    assert mine.statuses == ["Success"] and mine.rights == [f"{code}-user@44088"]
    # demo-app never sees the other application's right, whatever it asks.
    for governments in (None, [MERELBEKE], [MERELBEKE, NAZARETH]):
        theirs = _ask(aa_server, aa_server.demo, BART, governments)
        assert theirs.rights == ["demo-app-reader@44088"]
    # ... and the other application never sees demo-app's.
    assert _ask(aa_server, other, CHRIS).rights == []


def test_grant_then_revoke_is_seen_by_the_next_query(aa_server):
    assert "demo-app-admin@44088" not in _ask(aa_server, aa_server.demo, BART).rights
    grant_id = grant(aa_server, BART, MERELBEKE, "demo-app-admin", by=AN)
    assert _ask(aa_server, aa_server.demo, BART).rights == [
        "demo-app-admin@44088", "demo-app-reader@44088"]
    revoke(aa_server, grant_id, by=AN)
    assert _ask(aa_server, aa_server.demo, BART).rights == ["demo-app-reader@44088"]


def test_a_new_application_can_query_at_once(aa_server):
    """Metadata file plus catalog row: served by the running server, no restart, no wait."""
    code = f"new{uuid.uuid4().hex[:6]}"
    app = register_app(aa_server, code)
    answer = _ask(aa_server, app, BART)
    assert answer.statuses == ["Success"] and answer.rights == []


def test_metadata_without_catalog_row_is_refused(aa_server):
    code = f"nocat{uuid.uuid4().hex[:6]}"
    app = register_app(aa_server, code, catalog_row=False)
    answer = _ask(aa_server, app, BART)
    assert answer.statuses == ["Requester", "RequestDenied"] and answer.rights is None
