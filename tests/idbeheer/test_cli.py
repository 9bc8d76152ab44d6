"""The idbeheer CLI: the contract's commands, --json, and one clear stderr line per refusal."""
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from support import AN, BART, DINA, EMIL, FEMKE, MERELBEKE, NAZARETH
from support.cli import refused

SHARED = Path(__file__).resolve().parents[3] / "shared"


def grants_json(cli, *args):
    return json.loads(cli("grants", "--json", *args).stdout)


def test_seed_demo_is_idempotent(cli):
    assert "grants+0" in cli("seed-demo").stdout


def test_grants_json_has_the_contract_fields(cli):
    rows = grants_json(cli, BART)
    assert rows and set(rows[0]) >= {"id", "rrn", "government", "right", "start", "end", "state"}
    assert {(r["right"], r["government"], r["state"]) for r in rows} == {
        ("demo-app-reader", MERELBEKE, "active")}


def test_person_relation_grant_extend_revoke_end(cli, today):
    cli("person", "add", EMIL, "--as", AN)
    cli("relation", "add", EMIL, MERELBEKE, "--category", "external", "--type", "standard",
        "--email", "emil@example.org", "--phone", "+32 9 210 10 10", "--as", AN)
    cli("grant", "add", EMIL, MERELBEKE, "demo-app-reader", "--reason", "project", "--as", AN)
    [g] = grants_json(cli, EMIL)
    assert g["end"] == (today + timedelta(days=365)).isoformat()
    start = today + timedelta(days=3)
    out = cli("grant", "extend", str(g["id"]), "--start", start.isoformat(),
              "--end", (start + timedelta(days=30)).isoformat(), "--as", AN)
    assert "actief vanaf" in out.stderr
    assert grants_json(cli, EMIL, "--state", "pending")[0]["id"] == g["id"]
    line = refused(cli("relation", "end", EMIL, MERELBEKE, "--as", AN, ok=False))
    assert "rechten" in line
    cli("grant", "revoke", str(g["id"]), "--reason", "project stopgezet", "--as", AN)
    assert grants_json(cli, EMIL, "--state", "revoked")[0]["id"] == g["id"]
    cli("relation", "end", EMIL, MERELBEKE, "--reason", "vertrokken", "--as", AN)
    assert "intact" in cli("audit", "verify").stdout


def test_refusals_exit_nonzero_with_one_line_and_change_nothing(cli, today):
    before = grants_json(cli)
    too_long = (today + timedelta(days=91)).isoformat()
    assert "te lang" in refused(cli("grant", "add", BART, MERELBEKE, "demo-app-admin", "--end",
                                    too_long, "--as", AN, ok=False))
    assert "geen lokale beheerder" in refused(cli("grant", "add", BART, MERELBEKE, "demo-app-admin",
                                                  "--as", FEMKE, ok=False))
    assert "rijksregister" in refused(cli("person", "add", "12345678901", "--as", AN, ok=False))
    assert "centrale beheerder" in refused(cli("right", "add", "demo-app-x", "--app", "demo-app",
                                               "--name", "X", "--max-days", "5", "--as", AN, ok=False))
    assert grants_json(cli) == before


def test_bad_date_is_a_usage_error(cli):
    result = cli("grant", "add", BART, NAZARETH, "demo-app-admin", "--start", "morgen", "--as", FEMKE,
                 ok=False)
    assert result.exit_code == 2 and "JJJJ-MM-DD" in result.stderr


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_at_the_end_of_the_calendar_is_a_usage_error_not_a_traceback(cli, day):
    before = grants_json(cli)
    for args in (("grant", "add", BART, MERELBEKE, "demo-app-admin", "--start", day),
                 ("grant", "add", BART, MERELBEKE, "demo-app-admin", "--end", day),
                 ("grant", "extend", "1", "--start", day, "--end", day),
                 ("notify-expiring", "--date", day), ("grants", "--at", day)):
        result = cli(*args, *(("--as", AN) if args[0] == "grant" else ()), ok=False)
        assert result.exit_code == 2, result.stderr
        shown = "-".join(reversed(day.split("-")))  # dd-mm-jjjj, the one date format (#13.12)
        assert f"De datum {shown} ligt buiten het aanvaarde bereik" in result.stderr
    assert grants_json(cli) == before


def test_catalog_commands_register_app_and_right(cli, tmp_path):
    metadata = tmp_path / "sp.xml"
    metadata.write_text(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="https://payroll.example.be/sp"><md:SPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://payroll.example.be/acs" index="0"/></md:SPSSODescriptor>'
        '</md:EntityDescriptor>')
    cli("app", "register", "payroll", "--name", "Loonadministratie", "--metadata", str(metadata),
        "--as", DINA)
    assert (tmp_path / "metadata" / "sp" / "payroll.xml").read_bytes() == metadata.read_bytes()
    cli("right", "add", "payroll-clerk", "--app", "payroll", "--name", "Bediende", "--max-days", "180",
        "--as", DINA)
    assert "begint met" in refused(cli("right", "add", "other-clerk", "--app", "payroll", "--name", "X",
                                       "--max-days", "5", "--as", DINA, ok=False))
    cli("grant", "add", BART, MERELBEKE, "payroll-clerk", "--as", AN)
    assert grants_json(cli, BART, "--right", "payroll-clerk")[0]["end"]


def test_app_register_and_metadata_write_the_registry_and_bump_its_version(cli, tmp_path):
    from attribute_authority import sp_metadata
    from attribute_authority.models import ApplicationMetadata

    def state():
        with cli.db() as session:
            row = session.get(ApplicationMetadata, "payroll")
            return sp_metadata.registry_version(session), row and (row.entity_id, row.source)

    first, second = tmp_path / "one.xml", tmp_path / "two.xml"
    first.write_text(_PAYROLL.format(acs="acs"))
    second.write_text(_PAYROLL.format(acs="acs2"))
    version, _ = state()
    cli("app", "register", "payroll", "--name", "Loon", "--metadata", str(first), "--as", DINA)
    assert state() == (version + 1, ("https://payroll.example.be/sp", "register"))
    out = cli("app", "metadata", "payroll", "--metadata", str(second), "--reason", "nieuwe ACS",
              "--as", DINA).stdout
    assert "replaced" in out and state()[0] == version + 2
    assert (tmp_path / "metadata" / "sp" / "payroll.xml").read_bytes() == second.read_bytes()
    junk = tmp_path / "junk.xml"
    junk.write_text("<x/>")
    assert "geweigerd" in refused(cli("app", "metadata", "payroll", "--metadata", str(junk),
                                      "--as", DINA, ok=False))
    assert "centrale beheerder" in refused(cli("app", "metadata", "payroll", "--metadata",
                                               str(first), "--as", AN, ok=False))
    assert state()[0] == version + 2


_PAYROLL = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            'entityID="https://payroll.example.be/sp"><md:SPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            'Location="https://payroll.example.be/{acs}" index="0"/></md:SPSSODescriptor>'
            '</md:EntityDescriptor>')


def test_register_refuses_expired_metadata(cli, tmp_path):
    """Issue 11.1: metadata past its validUntil is refused at registration (and at use)."""
    expired = tmp_path / "expired.xml"
    expired.write_text(_PAYROLL.format(acs="acs").replace(
        "<md:EntityDescriptor ", '<md:EntityDescriptor validUntil="2020-01-01T00:00:00Z" ', 1))
    message = refused(cli("app", "register", "payroll", "--name", "Loon", "--metadata",
                          str(expired), "--as", DINA, ok=False))
    assert "expired at 2020-01-01T00:00:00Z" in message
    assert not (tmp_path / "metadata" / "sp" / "payroll.xml").exists()
    current = tmp_path / "current.xml"
    current.write_text(_PAYROLL.format(acs="acs").replace(
        "<md:EntityDescriptor ", '<md:EntityDescriptor validUntil="2999-01-01T00:00:00Z" ', 1))
    cli("app", "register", "payroll", "--name", "Loon", "--metadata", str(current), "--as", DINA)


def test_register_refuses_metadata_with_doctype(cli, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x/>')
    assert "DOCTYPE" in refused(cli("app", "register", "evil", "--name", "E", "--metadata", str(bad),
                                    "--as", DINA, ok=False))


def test_local_admin_appointment_via_cli(cli, register):
    cli("person", "add", "05031500291", "--as", DINA)
    cli("government", "registration", "44021", "--secretary", "05031500291", "--form-signed",
        "2026-01-05", "--terms-accepted", "2026-01-05", "--as", DINA)
    out = cli("localadmin", "appoint", "44021", "--email", "hanne@gent.be", "--as", DINA).stdout
    assert "local administrator of 44021" in out


def test_unknown_secretary_and_application_in_dutch_and_in_english(cli, monkeypatch):
    args = ("government", "registration", "44021", "--secretary", "05031500291", "--form-signed",
            "2026-01-05", "--terms-accepted", "2026-01-05", "--as", DINA)
    assert refused(cli(*args, ok=False)) == (
        "idbeheer: persoon 05031500291 is niet gekend: voeg die eerst toe")
    assert refused(cli("right", "add", "x-reader", "--app", "nope", "--name", "X", "--max-days", "30",
                       "--as", DINA, ok=False)) == (
        "idbeheer: Toepassing 'nope' bestaat niet of u heeft er geen toegang toe.")
    monkeypatch.setenv("IDBEHEER_LANG", "en")
    assert refused(cli(*args, ok=False)) == "idbeheer: person 05031500291 is not known: add them first"
    assert refused(cli("right", "add", "x-reader", "--app", "nope", "--name", "X", "--max-days", "30",
                       "--as", DINA, ok=False)) == (
        "idbeheer: Application 'nope' does not exist or you have no access to it.")


@pytest.mark.slow  # one `idbeheer … --help` process per contract command
def test_contract_check_finds_every_cli_command():
    idbeheer = Path(sys.executable).parent / "idbeheer"
    result = subprocess.run([sys.executable, str(SHARED / "contract_check.py"), "--cli", str(idbeheer)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout


def test_reviews_close_revokes_and_mails_once(cli, cli_url, tmp_path, today):
    from attribute_authority import reviews
    from attribute_authority.authz import actor_for
    from attribute_authority.db import make_engine, session_factory

    engine = make_engine(cli_url)
    with session_factory(engine)() as session, session.begin():
        review = reviews.start(session, actor_for(session, AN), MERELBEKE,
                               today + timedelta(days=7), True, on=today)
        review_id = review.id
    engine.dispose()
    deadline = (today + timedelta(days=7)).isoformat()
    first = cli("reviews", "close", "--date", deadline).stdout
    assert "1 closed" in first and "0 revoked" not in first, first
    outbox = tmp_path / "home" / "outbox"
    mails = sorted(p.name for p in outbox.glob("*.eml"))
    assert mails, first
    second = cli("reviews", "close", "--date", deadline).stdout
    assert "0 closed" in second and "0 revoked" in second and "0 mail(s) sent" in second
    assert sorted(p.name for p in outbox.glob("*.eml")) == mails
    revoked = [g for g in grants_json(cli, "--government", MERELBEKE, "--at", deadline)
               if g["state"] == "revoked"]
    assert revoked, f"review {review_id} revoked nothing"


def test_grants_at_a_reference_date_before_an_extension(cli, cli_url, monkeypatch, today):
    """Issue 13 point 2: `grants --at` reads the period that held on that day, not the
    extension's new start."""
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session
    from support import actor

    from attribute_authority import clock, grants
    from attribute_authority.db import make_engine

    engine = make_engine(cli_url)
    real_now = datetime.now(timezone.utc)
    with Session(engine) as s:
        g = grants.add(s, actor(s, AN), BART, MERELBEKE, "demo-app-admin")
        s.commit()
        grant_id = g.id
    monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(days=30))
    later = clock.today()
    cli("grant", "extend", str(grant_id), "--start", later.isoformat(),
        "--end", (later + timedelta(days=90)).isoformat(), "--as", AN)
    engine.dispose()
    reference = (today + timedelta(days=14)).isoformat()
    rows = grants_json(cli, BART, "--at", reference, "--state", "active")
    assert grant_id in [r["id"] for r in rows]
    assert grant_id not in [r["id"] for r in grants_json(cli, BART, "--at", reference,
                                                           "--state", "pending")]
