"""R7: the audit trail is complete and tampering is detectable."""
import pytest
from sqlalchemy import text

from attribute_authority import audit, demo
from attribute_authority.db import make_engine, session_factory, unit_of_work


@pytest.fixture
def trail(fresh_url, register):
    engine = make_engine(fresh_url)
    factory = session_factory(engine)
    with unit_of_work(factory) as s:
        demo.seed(s, register)
    yield engine, factory
    engine.dispose()


def verify(factory):
    with factory() as s:
        return audit.verify(s)


def test_intact_chain_verifies(trail):
    _, factory = trail
    report = verify(factory)
    assert report.ok and report.checked > 20


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_event SET reason = 'niets aan de hand' WHERE id = 5",
    "UPDATE audit_event SET actor_rrn = '01091204695' WHERE id = 7",
    "DELETE FROM audit_event WHERE id = 3",
    "DELETE FROM audit_event WHERE id = (SELECT MAX(id) FROM audit_event)",
])
def test_altered_trail_fails_verification(trail, tamper):
    engine, factory = trail
    with engine.begin() as conn:
        conn.execute(text(tamper))
    report = verify(factory)
    assert not report.ok and report.problem


def test_every_seeded_change_has_an_event(trail):
    engine, _ = trail
    with engine.connect() as conn:
        actions = dict(conn.execute(text(
            "SELECT action, COUNT(*) FROM audit_event GROUP BY action")).all())
    assert actions["grant.added"] == 6 and actions["relation.added"] == 7
