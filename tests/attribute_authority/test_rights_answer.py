"""The AttributeQuery's one-statement read: catalog, person and active rights together."""
from attribute_authority import rights_query
from support import BART, CHRIS, EMIL, HANNE, MERELBEKE, NAZARETH


def test_answer_knows_application_person_and_rights(session, today):
    got = rights_query.answer(session, BART, "demo-app", today)
    assert got == rights_query.QueryAnswer(True, True, ["demo-app-reader@44088"])
    assert got.rights == rights_query.active_rights(session, BART, "demo-app", today)


def test_answer_limits_by_government(session, today):
    assert rights_query.answer(session, CHRIS, "demo-app", today, [NAZARETH]).rights == []
    assert rights_query.answer(session, CHRIS, "demo-app", today,
                               [MERELBEKE, NAZARETH]).rights == ["demo-app-admin@44088"]


def test_answer_unknown_person_and_application(session, today):
    assert rights_query.answer(session, HANNE, "demo-app", today) == rights_query.QueryAnswer(
        True, False, [])
    assert rights_query.answer(session, "00000000000", "nope", today) == rights_query.QueryAnswer(
        False, False, [])
