"""The `idbeheer` command (DESIGN.md "Configuration and CLI").

Every refusal exits non-zero with one clear line on stderr and changes nothing: each command
is one unit of work, rolled back on any error."""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from attribute_authority import (
    audit,
    authz,
    catalog,
    clock,
    dates,
    delegation,
    demo,
    governments,
    grants,
    oidc_clients,
    people,
    relations,
)
from attribute_authority.db import make_engine, session_factory, unit_of_work, upgrade
from attribute_authority.errors import DomainError
from attribute_authority.national_register import FileRegister
from attribute_authority.states import STATES

from .demo_mode import register_demo_clients
from .settings import ConfigurationRefused, Settings, from_env


class Context:
    def __init__(self) -> None:
        self.settings: Settings = from_env()
        self._factory = None

    @property
    def factory(self):
        if self._factory is None:
            self._factory = session_factory(make_engine(self.settings.database_url))
        return self._factory

    @contextmanager
    def work(self) -> Iterator[Session]:
        with unit_of_work(self.factory) as session:
            yield session

    def register(self) -> FileRegister:
        return FileRegister()


def _lang() -> str:
    """The language of the CLI's messages: IDBEHEER_LANG, Dutch unless it says otherwise."""
    return os.environ.get("IDBEHEER_LANG", "nl")


def _say(nl: str, en: str) -> str:
    """A line of the CLI's own in its language (as `DomainError.message`: any other than nl is
    English)."""
    return nl if _lang() == "nl" else en


def _fail(message: str) -> NoReturn:
    click.echo(f"idbeheer: {message}", err=True)
    sys.exit(1)


def refusals(fn: Callable) -> Callable:
    """Map domain errors to one line on stderr and exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as refusal:
            _fail(refusal.message(_lang()))
    return wrapper


def iso_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return dates.parse(value)
    except DomainError as refusal:
        raise click.BadParameter(refusal.message(_lang())) from None


ACTOR = click.option("--as", "actor_rrn", required=True, metavar="RRN",
                     help="RRN of the acting administrator")
pass_ctx = click.make_pass_decorator(Context, ensure=True)


@click.group()
def main() -> None:
    """lb-idbeheer: identity and rights service of Flemish local governments."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@pass_ctx
def run(ctx: Context, host: str, port: int) -> None:
    """All-in-one server. First run: keys, database and demo data."""
    from werkzeug.serving import run_simple

    from .app import create_app
    from .observability import configure_logging

    configure_logging()  # JSON lines; werkzeug's own access log (with query strings) is off
    settings = ctx.settings
    if "IDBEHEER_BASE_URL" not in os.environ:  # entityIDs follow the port actually served
        settings = dataclasses.replace(settings, base_url=f"http://localhost:{port}")
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    with ctx.work() as session:
        if session.scalar(select(governments.Government.id).limit(1)) is None:
            counts = demo.seed(session, ctx.register())
            click.echo(f"demo data loaded: {counts}")
        if not settings.production and register_demo_clients(session, settings):
            click.echo("demo-app registered as OIDC client (BASE/demo-app-oidc/)")
    try:
        app = create_app(settings)
    except ConfigurationRefused as refused:
        _fail(str(refused))
    click.echo(f"lb-idbeheer on http://{host}:{port} (mode {settings.mode}, data in {settings.home})")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply the migrations."""
    ctx.settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(ctx.settings.database_url)
    click.echo("database at the latest schema")


@main.command("seed-demo")
@pass_ctx
def seed_demo(ctx: Context) -> None:
    """Load the demo data (idempotent)."""
    with ctx.work() as session:
        if not inspect(session.connection()).has_table("person"):
            _fail(_say("de databank heeft nog geen schema: voer eerst 'idbeheer db upgrade' uit",
                       "the database has no schema yet: run 'idbeheer db upgrade' first"))
        counts = demo.seed(session, ctx.register())
        if not ctx.settings.production:
            counts["oidc_clients"] = int(register_demo_clients(session, ctx.settings))
    click.echo(" ".join(f"{k}+{v}" for k, v in counts.items()))


@main.group()
def app() -> None:
    """Target applications in the catalog."""


@app.command("register")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--metadata", "metadata_file", required=True,
              type=click.Path(exists=True, dir_okay=False))
@click.option("--capacity", type=click.Choice(catalog.CAPACITIES), default="employee",
              show_default=True)
@ACTOR
@pass_ctx
@refusals
def app_register(ctx: Context, code: str, name: str, metadata_file: str, capacity: str,
                 actor_rrn: str) -> None:
    """Register an application with its SAML metadata (served at once by every server; a copy
    goes to metadata/sp/CODE.xml)."""
    xml = Path(metadata_file).read_bytes()
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        catalog.register_application(session, actor, code, name, capacity)
        target = catalog.store_metadata(session, actor, code, xml, ctx.settings.metadata_dir)
    click.echo(f"application {code} registered; metadata in {target}")


@app.command("metadata")
@click.argument("code")
@click.option("--metadata", "metadata_file", required=True,
              type=click.Path(exists=True, dir_okay=False))
@click.option("--reason")
@ACTOR
@pass_ctx
@refusals
def app_metadata(ctx: Context, code: str, metadata_file: str, reason: str | None,
                 actor_rrn: str) -> None:
    """Replace a registered application's SAML metadata (a new key, new endpoints): served by
    every server from the next request on."""
    xml = Path(metadata_file).read_bytes()
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        target = catalog.store_metadata(session, actor, code, xml, ctx.settings.metadata_dir,
                                        reason=reason)
    click.echo(f"metadata of {code} replaced; copy in {target}")


@app.command("oidc")
@click.argument("code")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="exact redirect URI (repeatable)")
@click.option("--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False),
              help="the client's public JWKS (private_key_jwt)")
@click.option("--jwks-uri", help="where the client publishes its JWKS (private_key_jwt)")
@click.option("--new-secret", is_flag=True, help="generate a client secret (client_secret_basic)")
@click.option("--public", "public", is_flag=True,
              help="a public client (browser or native app): no secret, PKCE S256 required")
@click.option("--backchannel-logout-uri")
@click.option("--post-logout-redirect-uri", "post_logout_uris", multiple=True)
@click.option("--scope", "scopes", multiple=True, type=click.Choice(oidc_clients.SCOPES))
@click.option("--name")
@click.option("--capacity", type=click.Choice(catalog.CAPACITIES))
@ACTOR
@pass_ctx
@refusals
def app_oidc(ctx: Context, code: str, redirect_uris: tuple[str, ...], jwks_file: str | None,
             jwks_uri: str | None, new_secret: bool, public: bool, backchannel_logout_uri: str | None,
             post_logout_uris: tuple[str, ...], scopes: tuple[str, ...], name: str | None,
             capacity: str | None, actor_rrn: str) -> None:
    """Register or update CODE as an OIDC client (a new secret is printed once)."""
    if sum([jwks_file is not None, jwks_uri is not None, new_secret, public]) != 1:
        _fail(_say("kies precies één van --jwks FILE, --jwks-uri URL, --new-secret en --public",
                   "choose exactly one of --jwks FILE, --jwks-uri URL, --new-secret and --public"))
    jwks = None
    if jwks_file is not None:
        try:
            jwks = json.loads(Path(jwks_file).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            _fail(_say(f"{jwks_file} is geen JSON: {exc}", f"{jwks_file} is not JSON: {exc}"))
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        _client, secret = oidc_clients.register_oidc_client(
            session, actor, code, redirect_uris=list(redirect_uris),
            auth=oidc_clients.ClientAuth(jwks=jwks, jwks_uri=jwks_uri, new_secret=new_secret,
                                         public=public),
            post_logout_redirect_uris=list(post_logout_uris),
            backchannel_logout_uri=backchannel_logout_uri, scopes=list(scopes) or None,
            name=name, capacity=capacity)
    click.echo(f"OIDC client {code} registered (client_id {code})")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("this secret is shown only now; it is stored hashed")


@main.group()
def right() -> None:
    """Rights of applications."""


@right.command("add")
@click.argument("code")
@click.option("--app", "app_code", required=True)
@click.option("--name", required=True)
@click.option("--max-days", required=True, type=click.IntRange(1, 3660))
@ACTOR
@pass_ctx
@refusals
def right_add(ctx: Context, code: str, app_code: str, name: str, max_days: int,
              actor_rrn: str) -> None:
    """Add a right with its maximum validity."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        catalog.add_right(session, actor, code, app_code, name, max_days)
    click.echo(f"right {code} added (max {max_days} days)")


@main.group()
def person() -> None:
    """People."""


@person.command("add")
@click.argument("rrn")
@ACTOR
@pass_ctx
@refusals
def person_add(ctx: Context, rrn: str, actor_rrn: str) -> None:
    """Look the number up in the national register and create the person."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        found, created = people.add(session, actor, ctx.register(), rrn)
    click.echo(f"{'added' if created else 'already known'}: {found.rrn} {found.full_name}")


@main.group()
def relation() -> None:
    """Relations between people and governments."""


@relation.command("add")
@click.argument("rrn")
@click.argument("government")
@click.option("--category", required=True, type=click.Choice(relations.CATEGORIES))
@click.option("--type", "type_", required=True, type=click.Choice(relations.TYPES))
@click.option("--email", required=True)
@click.option("--phone")
@click.option("--note")
@ACTOR
@pass_ctx
@refusals
def relation_add(ctx: Context, rrn: str, government: str, category: str, type_: str, email: str,
                 phone: str | None, note: str | None, actor_rrn: str) -> None:
    """Create a relation (R2)."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        rel = relations.add(session, actor, rrn, government, category=category, type=type_,
                            email=email, phone=phone, note=note)
    click.echo(f"relation {rel.id} added: {rrn} @ {government}")


@relation.command("end")
@click.argument("rrn")
@click.argument("government")
@click.option("--reason")
@ACTOR
@pass_ctx
@refusals
def relation_end(ctx: Context, rrn: str, government: str, reason: str | None,
                 actor_rrn: str) -> None:
    """End a relation (R3: only without active or pending grants)."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        rel = relations.end(session, actor, rrn, government, reason)
    click.echo(f"relation {rel.id} ended on {rel.ended_on}")


@main.group()
def grant() -> None:
    """Grants of rights."""


@grant.command("add")
@click.argument("rrn")
@click.argument("government")
@click.argument("right_code", metavar="RIGHT")
@click.option("--start", callback=iso_date)
@click.option("--end", callback=iso_date)
@click.option("--reason")
@ACTOR
@pass_ctx
@refusals
def grant_add(ctx: Context, rrn: str, government: str, right_code: str, start: date | None,
              end: date | None, reason: str | None, actor_rrn: str) -> None:
    """Grant a right (R4). The end defaults to start + the right's maximum."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        g = grants.add(session, actor, rrn, government, right_code, start=start, end=end,
                       reason=reason)
    click.echo(f"grant {g.id}: {right_code}@{government} for {rrn} from {g.start} to {g.end}")


@grant.command("extend")
@click.argument("grant_id", type=int)
@click.option("--start", required=True, callback=iso_date)
@click.option("--end", required=True, callback=iso_date)
@click.option("--reason")
@ACTOR
@pass_ctx
@refusals
def grant_extend(ctx: Context, grant_id: int, start: date, end: date, reason: str | None,
                 actor_rrn: str) -> None:
    """Set a new period (R6)."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        plan = grants.extend(session, actor, grant_id, start, end, reason)
    click.echo(f"grant {grant_id} now runs from {plan.start} to {plan.end}")
    if plan.pending:
        click.echo(_say(f"let op: het recht is pas actief vanaf {plan.start}",
                        f"note: the right is active only from {plan.start}"), err=True)


@grant.command("revoke")
@click.argument("grant_id", type=int)
@click.option("--reason")
@ACTOR
@pass_ctx
@refusals
def grant_revoke(ctx: Context, grant_id: int, reason: str | None, actor_rrn: str) -> None:
    """Revoke at once (R7)."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        g = grants.revoke(session, actor, grant_id, reason)
    click.echo(f"grant {g.id} revoked on {g.revoked_on}")


@main.command("grants")
@click.argument("rrn", required=False)
@click.option("--government")
@click.option("--at", "at", callback=iso_date, help="reference date (default today)")
@click.option("--state", type=click.Choice(STATES))
@click.option("--right", "right_code")
@click.option("--as", "actor_rrn", metavar="RRN", help="limit to what this administrator sees")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@refusals
def grants_cmd(ctx: Context, rrn: str | None, government: str | None, at: date | None,
               state: str | None, right_code: str | None, actor_rrn: str | None, limit: int,
               as_json: bool) -> None:
    """Search grants by person, government, reference date and state (R5)."""
    on = at or clock.today()
    flt = grants.GrantFilter(rrn=rrn, government=government, state=state, right=right_code)
    with ctx.work() as session:
        scope = (authz.scope_of(session, authz.actor_for(session, actor_rrn), on)
                 if actor_rrn else authz.EVERYTHING)
        rows = [grants.as_dict(g, on) for g in grants.search(session, scope, flt, on, limit=limit)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        click.echo(f"{r['id']:>8}  {r['rrn']}  {r['government']:<12} {r['right']:<28} "
                   f"{r['start']} .. {r['end']}  {r['state']}")
    click.echo(f"{len(rows)} grant(s) on {on}", err=True)


@main.command("notify-expiring")
@click.option("--date", "on", callback=iso_date, help="run as if on this day (default today)")
@pass_ctx
def notify_expiring(ctx: Context, on: date | None) -> None:
    """E-mail holders of grants ending within two weeks, and their local administrators (R11);
    close the access requests left open for 30 days (R15)."""
    from attribute_authority import access_requests, notices

    with ctx.work() as session:
        expired = access_requests.expire_due(session, on)
    report = notices.run(ctx.factory, ctx.settings.mailer(), on,
                         account_url=f"{ctx.settings.base_url}/account")
    click.echo(f"notices: {report.recorded} new, {report.sent} sent, {report.failed} failed; "
               f"{expired} request(s) expired")
    if report.uncertain:
        click.echo(f"idbeheer: {len(report.uncertain)} notice(s) were being sent when an earlier run "
                   f"stopped; they are not sent again (ids {report.uncertain[:10]})", err=True)
    if report.failed:
        sys.exit(1)


@main.group("reviews")
def reviews_group() -> None:
    """Access reviews (R16)."""


@reviews_group.command("close")
@click.option("--date", "on", callback=iso_date, help="run as if on this day (default today)")
@pass_ctx
@refusals
def reviews_close(ctx: Context, on: date | None) -> None:
    """Send the reminders due (a week and a day before each deadline) and close the reviews whose
    deadline has come: report what is unreviewed and, where the review says so, revoke it.
    Running it again changes and sends nothing."""
    from attribute_authority import notices, reviews

    with ctx.work() as session:
        reminders = reviews.remind_due(session, on)
        report = reviews.close_due(session, on)
    sent = notices.deliver(ctx.factory, ctx.settings.mailer())
    click.echo(f"reviews: {report.closed} closed, {report.unreviewed} unreviewed, "
               f"{report.revoked} revoked; {reminders} reminder(s); {sent.sent} mail(s) sent")
    if sent.failed:
        sys.exit(1)


@main.group("localadmin")
def localadmin() -> None:
    """Local administrators (R9)."""


@localadmin.command("appoint")
@click.argument("government")
@click.option("--rrn", help="default: the registered secretary")
@click.option("--email")
@click.option("--reason")
@ACTOR
@pass_ctx
@refusals
def localadmin_appoint(ctx: Context, government: str, rrn: str | None, email: str | None,
                       reason: str | None, actor_rrn: str) -> None:
    """Appoint the first local administrator, or restore one when none is left."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        g = delegation.appoint_local_admin(session, actor, government, rrn=rrn, email=email,
                                           reason=reason)
    click.echo(f"grant {g.id}: local administrator of {government} until {g.end}")


@main.group("government")
def government_group() -> None:
    """Governments and their registration."""


@government_group.command("registration")
@click.argument("government")
@click.option("--secretary", "secretary_rrn", required=True, metavar="RRN")
@click.option("--form-signed", required=True, callback=iso_date)
@click.option("--terms-accepted", required=True, callback=iso_date)
@click.option("--acting", is_flag=True, help="an acting secretary (needs --minutes)")
@click.option("--minutes", help="reference of the council minutes")
@ACTOR
@pass_ctx
@refusals
def government_registration(ctx: Context, government: str, secretary_rrn: str, form_signed: date,
                            terms_accepted: date, acting: bool, minutes: str | None,
                            actor_rrn: str) -> None:
    """Record the signed registration form and terms of use."""
    with ctx.work() as session:
        actor = authz.actor_for(session, actor_rrn)
        secretary = people.find(session, secretary_rrn)
        if secretary is None:
            _fail(_say(f"persoon {secretary_rrn} is niet gekend: voeg die eerst toe",
                       f"person {secretary_rrn} is not known: add them first"))
        gov = governments.by_code(session, government)
        governments.record_registration(session, actor, gov, governments.Registration(
            secretary, form_signed, terms_accepted, acting, minutes))
    click.echo(f"registration of {government} recorded")


@main.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check the hash chain of the whole trail."""
    with ctx.work() as session:
        report = audit.verify(session)
    if not report.ok:
        _fail(f"audit trail broken after {report.checked} good event(s): {report.problem}")
    click.echo(f"audit trail intact: {report.checked} event(s)")
