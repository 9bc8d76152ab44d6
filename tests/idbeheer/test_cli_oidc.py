"""`idbeheer app oidc` (DESIGN.md's CLI): register or update an OIDC client; a new secret
is printed once and stored hashed; refusals are one line on stderr and change nothing."""
import json

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select
from support import BART, DINA
from support.cli import refused

from attribute_authority.models import AuditEvent, OidcClient


def test_new_secret_is_shown_once_and_stored_hashed(cli):
    out = cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb",
              "--new-secret", "--as", DINA).stdout
    secret = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("client_secret:"))
    with cli.db() as s:
        client = s.scalars(select(OidcClient)).one()
        assert client.secret_hash and secret not in client.secret_hash
        assert client.redirect_uris == ["https://rp.example/cb"]
        assert client.scopes == ["openid", "profile", "capacity", "rights"]
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "oidc_client.registered")).all()
        assert len(events) == 1 and events[0].actor_rrn == DINA
        assert secret not in json.dumps(events[0].after)


def test_jwks_file_scopes_backchannel_and_a_new_application(cli, tmp_path):
    key = RSAKey.generate_key(2048)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    out = cli("app", "oidc", "new-app", "--name", "Nieuwe toepassing", "--capacity", "any",
              "--redirect-uri", "https://new.example/cb", "--redirect-uri", "http://localhost:9000/cb",
              "--jwks", str(jwks), "--backchannel-logout-uri", "https://new.example/bcl",
              "--scope", "openid", "--scope", "rrn", "--as", DINA).stdout
    assert "client_secret" not in out
    with cli.db() as s:
        client = s.scalars(select(OidcClient)).one()
        assert client.application.code == "new-app" and client.application.capacity == "any"
        assert client.scopes == ["openid", "rrn"] and client.jwks["keys"][0]["kty"] == "RSA"
        assert client.backchannel_logout_uri == "https://new.example/bcl"


@pytest.mark.parametrize("args,needle", [
    (["--redirect-uri", "https://rp.example/cb"], "precies één"),
    (["--redirect-uri", "https://rp.example/cb", "--new-secret", "--jwks-uri", "https://x/j"], "precies één"),
    (["--redirect-uri", "http://rp.example/cb", "--new-secret"], "https"),
    (["--redirect-uri", "https://rp.example/cb#frag", "--new-secret"], "fragment"),
    (["--redirect-uri", "https://rp.example/cb", "--jwks-uri", "http://x/j"], "https"),
])
def test_refusals_change_nothing(cli, args, needle):
    line = refused(cli("app", "oidc", "demo-app", *args, "--as", DINA, ok=False))
    assert needle in line
    with cli.db() as s:
        assert s.scalars(select(OidcClient)).all() == []


def test_with_idbeheer_lang_en_a_refusal_is_english(cli, monkeypatch, tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [RSAKey.generate_key(2048).as_dict(private=True)]}))
    monkeypatch.setenv("IDBEHEER_LANG", "en")
    line = refused(cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb",
                       "--jwks", str(jwks), "--as", DINA, ok=False))
    assert line == ("idbeheer: Invalid input: the JWKS holds a private key; register only the "
                    "public one")


@pytest.mark.parametrize("lang,line", [
    (None, "idbeheer: kies precies één van --jwks FILE, --jwks-uri URL, --new-secret en --public"),
    ("en", "idbeheer: choose exactly one of --jwks FILE, --jwks-uri URL, --new-secret and --public"),
])
def test_the_clis_own_refusal_follows_idbeheer_lang(cli, monkeypatch, lang, line):
    if lang:
        monkeypatch.setenv("IDBEHEER_LANG", lang)
    assert refused(cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb",
                       "--as", DINA, ok=False)) == line


def test_a_jwks_file_that_is_no_json_is_named_in_english(cli, monkeypatch, tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text("{not json")
    monkeypatch.setenv("IDBEHEER_LANG", "en")
    line = refused(cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb",
                       "--jwks", str(jwks), "--as", DINA, ok=False))
    assert line.startswith(f"idbeheer: {jwks} is not JSON: ")


def test_private_key_in_jwks_is_refused(cli, tmp_path):
    key = RSAKey.generate_key(2048)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    line = refused(cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb",
                       "--jwks", str(jwks), "--as", DINA, ok=False))
    assert "private" in line


def test_only_a_central_administrator(cli):
    refused(cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb",
                "--new-secret", "--as", BART, ok=False))
    with cli.db() as s:
        assert s.scalars(select(OidcClient)).all() == []


def test_update_keeps_one_row_and_audits_before_after(cli):
    cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb", "--new-secret", "--as", DINA)
    cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/other", "--new-secret", "--as", DINA)
    with cli.db() as s:
        assert [c.redirect_uris for c in s.scalars(select(OidcClient))] == [["https://rp.example/other"]]
        changed = s.scalars(select(AuditEvent).where(AuditEvent.action == "oidc_client.changed")).one()
        assert changed.before["redirect_uris"] == ["https://rp.example/cb"]


def test_public_client_has_no_credentials_and_is_audited_as_public(cli):
    out = cli("app", "oidc", "demo-app", "--redirect-uri", "http://localhost:9000/cb", "--public",
              "--as", DINA).stdout
    assert "client_secret" not in out
    with cli.db() as s:
        client = s.scalars(select(OidcClient)).one()
        assert client.secret_hash is None and client.jwks is None and client.jwks_uri is None
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "oidc_client.registered")).one()
        assert event.after["auth"] == "public"
    line = refused(cli("app", "oidc", "demo-app", "--redirect-uri", "https://rp.example/cb", "--public",
                       "--new-secret", "--as", DINA, ok=False))
    assert "precies één" in line
