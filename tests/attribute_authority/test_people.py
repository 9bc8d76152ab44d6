"""R1: people come from the national register and are never deleted."""
import pytest
from support import AN, BART, EMIL, FEMKE, HANNE, actor, counts

from attribute_authority import people
from attribute_authority.errors import InvalidRrn, NotAdministratorOf, UnknownInNationalRegister
from attribute_authority.national_register import FileRegister


def test_add_takes_data_from_the_register(session, register, today):
    person, created = people.add(session, actor(session, AN), register, EMIL, on=today)
    assert created and person.is_bis and (person.surname, person.given_name) == ("Novak", "Emil")
    assert person.birth_date.isoformat() == "1988-02-10"


def test_adding_a_known_person_creates_nothing(session, register, today):
    before = counts(session)
    person, created = people.add(session, actor(session, AN), register, BART, on=today)
    assert not created and person.rrn == BART and counts(session) == before


def test_unknown_number_is_refused(session, register, today):
    with pytest.raises(UnknownInNationalRegister):
        people.add(session, actor(session, AN), register, "80010100107", on=today)


def test_invalid_number_is_refused(session, register, today):
    with pytest.raises(InvalidRrn):
        people.add(session, actor(session, AN), register, "12345678901", on=today)


def test_only_administrators_add_people(session, register, today):
    with pytest.raises(NotAdministratorOf):
        people.add(session, actor(session, BART), register, HANNE, on=today)


def test_align_refreshes_from_the_register(session, today, tmp_path):
    changed = FileRegister()
    changed.add({"rrn": BART, "surname": "Claes-Peeters", "given_name": "Bart"})
    person = people.align(session, actor(session, AN), changed, BART, on=today)
    assert person.surname == "Claes-Peeters"
    from attribute_authority.models import AuditEvent
    event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert (event.action, event.before["surname"], event.after["surname"]) == \
        ("person.aligned", "Claes", "Claes-Peeters")


def test_local_admin_sees_own_people_only(session, today):
    assert people.visible(session, actor(session, AN), BART, on=today).rrn == BART
    with pytest.raises(people.NotFound):
        people.visible(session, actor(session, FEMKE), BART, on=today)
