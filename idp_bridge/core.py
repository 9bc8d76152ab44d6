"""The protocol-neutral sign-in core: one signed-in person, one capacity, one browser session,
one sign-in trail and one single logout for every front end (SAML IdP `downstream/`, OpenID
Provider `oidc/`) and the upstream back end (SAML SP `upstream/`).

Nothing here reads or writes a protocol message or renders a page: the core takes plain
records and returns plain outcomes; the front ends turn those into SAML or OIDC answers and
`web.py` renders. The rules applied here, once for every protocol: the session's idle timeout
and lifetime (R12, `sessions.BrowserSession`), the single-capacity rule (R13, `capacity`),
the sign-in trail (R14, `trail`) and the logout plan (`logout`).

API for a front end (the SAML IdP side uses exactly this; so does the OIDC provider)
--------------------------------------------------------------------------------------

1. **Start a sign-in** for a waiting application request::

       pending = PendingRequest(protocol="oidc", app_code="demo-app", capacity="44088",
                                force_authn=prompt_login, passive=prompt_none,
                                max_age=max_age_seconds, continuation={...})
       outcome = core.start(pending)

   `continuation` is the front end's own JSON-able data needed to answer later (SAML: the
   ACS URL, request ID, RelayState, NameID format; OIDC: redirect_uri, state, nonce, PKCE
   challenge, scopes). The core stores it untouched with the session. `outcome` is one of

   - `Ready(person, pending)`: a person is signed in in a capacity the application accepts:
     answer now (see 3);
   - `NotSignedIn(pending, reason)`: the request was passive (`prompt=none`, `IsPassive`) and
     cannot be served without interaction: answer with the protocol's error
     (`reason` is `NO_SESSION` or `INTERACTION_REQUIRED`);
   - `NeedsUpstream(state, force_authn, method)`: send the browser to the upstream sign-in
     with `Bridge.to_upstream(outcome)` (web does this: it owns the back end); `method` is
     the weakest sign-in method that will do (the back end asks the upstream for it). A
     session is signed in afresh when the request asks so (`force_authn`), its sign-in is
     older than `max_age`, weaker than `method`, or of another person than `expected_rrn`;
   - `ToCapacityPage()`: redirect the browser to `/idp/capacity` (the choice, or the
     mismatch/switch page, R13). That page ends, via the core, in `Ready` again, which the
     web layer hands to the front end registered for `pending.protocol`.

2. **Who is signed in here?** `core.current()` returns `Current(person, entries)` or None
   (no session, or expired: R12). `person.capacity` is None until chosen.

3. **Answer**: once the front end has issued its assertion / code, it calls
   `core.answered(pending, person, entry)` with an `AppEntry` (protocol tag, app code, the
   peer's id - SAML entityID or OIDC client_id -, the subject issued to it, a session index
   or OIDC `sid`): the entry is registered for single logout and the trail records success.

4. **Refuse**: `core.declined(pending, ...)` and the `Failure` reasons tell the front end
   which protocol error to answer with; the core writes the trail row.

5. **Logout**: `core.logout_everywhere(reply)` (the person's own "Afmelden", or a front end's
   logout request: `initiator=(protocol, peer)` spares a SAML application that asked its
   LogoutRequest, which gets the `Reply` at the end instead; an OIDC application that asked
   gets its back-channel logout_token like the others, and its post-logout redirect last)
   ends the session and returns a `LogoutStep` to follow with
   `core.run_logout(plan)`. The plan is a typed `LogoutPlan` over all `AppEntry`s. First the
   entries of a protocol told server to server (`core.register_back_channel_hop("oidc",
   handler)`, OIDC Back-Channel Logout) are told, all together; then each other entry is
   handed to the hop handler registered for its protocol (`core.register_logout_hop("saml",
   handler)`), which returns either a browser message (a front-channel hop whose answer comes
   back later: call `core.logout_hop_done(plan_id, ok)`), or True/False when done at once.
   Then the upstream hop (the back end's handler), then the `Reply` is handed to the reply
   handler registered for `reply.protocol`, else `SignedOut(partial)` for web to render.

The core raises the bridge's refusals (`errors.BridgeRefusal`) for what no protocol can answer
(no session on the capacity page, a wrong form token); web renders them as 4xx pages.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import session as flask_session
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attribute_authority.db import read_only, session_factory
from attribute_authority.models import Application

from . import capacity as capacity_rule
from . import logout
from .errors import RequestRefused, SessionMissing, SignOutRefused
from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .logout import AppEntry, LogoutPlan, Reply
from .person import Capacity, SignedInPerson
from .sessions import BrowserSession, session_alive
from .trail import Trail

log = logging.getLogger(__name__)

__all__ = ["AppEntry", "ChooseCapacity", "Current", "Failure", "LogoutPlan", "Mismatch",
           "NeedsUpstream", "NotSignedIn", "PendingRequest", "Ready", "Reply", "SignInCore",
           "SignedOut", "Status", "ToCapacityPage"]

# Why a waiting request cannot be served (a front end maps each to its protocol's error).
NO_SESSION = "no_session"  # passive request, nobody signed in (SAML NoPassive, OIDC login_required)
INTERACTION_REQUIRED = "interaction_required"  # passive, but a capacity must be chosen
CAPACITY_DECLINED = "capacity_declined"  # the person cancelled on the capacity page
SIGN_IN_FAILED = "sign_in_failed"  # the upstream sign-in failed or was cancelled


@dataclass(frozen=True)
class PendingRequest:
    """What one application asked for, in no protocol's words; kept until it is answered."""

    protocol: str  # "saml" | "oidc": which front end answers
    app_code: str
    capacity: str | None = None  # a capacity asked for (`citizen` or a government code)
    force_authn: bool = False  # SAML ForceAuthn, OIDC prompt=login
    passive: bool = False  # SAML IsPassive, OIDC prompt=none
    max_age: int | None = None  # OIDC max_age (seconds since the upstream sign-in)
    # The weakest sign-in method that will do (OIDC acr_values, SAML RequestedAuthnContext):
    # a session signed in with a weaker one signs in afresh, and the upstream is asked for it.
    method: str | None = None
    # Only `method` itself will do, not a stronger one (SAML Comparison "exact" or "maximum"
    # naming the token only): an eID session then signs in afresh as well.
    method_exact: bool = False
    # The person the application expects (OIDC login_hint): a session of anyone else signs
    # in afresh, never silently answers for the wrong person.
    expected_rrn: str | None = None
    continuation: dict[str, Any] = field(default_factory=dict)  # the front end's own data

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    def accepts_method(self, used: str) -> bool:
        """Whether a sign-in with method `used` does for this request."""
        if self.method is None:
            return True
        return method_satisfies(used, self.method, self.method_exact)

    @classmethod
    def from_json(cls, text: str) -> PendingRequest:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Failure:
    """A waiting request that ends without a sign-in; `reason` one of the constants above."""

    reason: str
    message: str  # for the application (never text from an unverified message)


# -- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    person: SignedInPerson
    pending: PendingRequest


@dataclass(frozen=True)
class NotSignedIn:
    pending: PendingRequest
    reason: str  # NO_SESSION or INTERACTION_REQUIRED


@dataclass(frozen=True)
class NeedsUpstream:
    """Sign in upstream; `state` comes back unchanged to `core.upstream_signed_in`;
    `method`: the sign-in method to ask the upstream for (None: any), `method_exact`: that
    one only, not also a stronger one."""

    state: str
    force_authn: bool
    method: str | None = None
    method_exact: bool = False


@dataclass(frozen=True)
class ToCapacityPage:
    pass


@dataclass(frozen=True)
class Declined:
    """A waiting request ends without a sign-in: the front end answers with its error."""

    pending: PendingRequest
    failure: Failure


@dataclass(frozen=True)
class Current:
    person: SignedInPerson
    entries: list[AppEntry]


@dataclass(frozen=True)
class ChooseCapacity:
    """The capacity page: the choices this application accepts, one preselected."""

    person: SignedInPerson
    choices: list[Capacity]
    preselected: str | None
    app: str | None
    csrf: str


@dataclass(frozen=True)
class Mismatch:
    """The session's capacity is not what the application accepts: offer the switch (R13)."""

    person: SignedInPerson
    app: str
    required: str
    apps: list[str]
    csrf: str


@dataclass(frozen=True)
class Status:
    """Signed in, no application waiting."""

    person: SignedInPerson
    entries: list[AppEntry]
    csrf: str


@dataclass(frozen=True)
class SignedOut:
    partial: bool


@dataclass(frozen=True)
class Sent:
    """A hop handler's browser message (opaque to the core: web returns it as it is)."""

    message: Any


# A logout step: the next message, done, a fresh sign-in (switch) or the capacity page (resume)
LogoutStep = Sent | SignedOut | NeedsUpstream | ToCapacityPage
HopHandler = Callable[[AppEntry, str], Any]  # -> browser message, or True/False when done
BackChannelHop = Callable[[AppEntry], bool]  # told server to server: whether it confirmed
# Back-channel hops of one logout run together: an application that does not answer costs
# its timeout once, not once for each application after it.
_BACK_CHANNEL_THREADS = 8
UpstreamHop = Callable[[dict, str], Any]  # -> browser message, or None (nothing to do)
ReplyHandler = Callable[[Reply, bool], Any]  # -> browser message


@dataclass(frozen=True)
class _Keep:
    """A forced re-authentication: the same person keeps capacity and applications."""

    person: dict[str, Any]
    entries: list[dict[str, Any]]
    core: str | None = None  # the sign-in session goes on under its ID


class SignInCore:
    def __init__(self, *, db: sessionmaker[Session], clock, idle_timeout: dt.timedelta,
                 lifetime: dt.timedelta, store, rotate: Callable[[], None]) -> None:
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime
        self.store = store
        self.rotate = rotate
        self.trail = Trail(db, clock)
        # The core only reads (the trail writes in its own unit of work): on SQLite a
        # read-only transaction never takes, nor waits for, the write lock.
        self.read_db = session_factory(read_only(db.kw["bind"]))
        self._hops: dict[str, HopHandler] = {}
        self._back_channel: dict[str, BackChannelHop] = {}
        self._replies: dict[str, ReplyHandler] = {}
        self._upstream_hop: UpstreamHop | None = None

    # -- registration of the front ends and the back end --------------------------------------

    def register_logout_hop(self, protocol: str, handler: HopHandler) -> None:
        self._hops[protocol] = handler

    def register_back_channel_hop(self, protocol: str, handler: BackChannelHop) -> None:
        """A protocol whose applications are told server to server (OIDC Back-Channel
        Logout): all of a logout's are told at its start, together, before the browser's
        front-channel hops (an abandoned browser then leaves none of them signed in)."""
        self._back_channel[protocol] = handler

    def register_reply(self, protocol: str, handler: ReplyHandler) -> None:
        self._replies[protocol] = handler

    def register_upstream_hop(self, handler: UpstreamHop) -> None:
        self._upstream_hop = handler

    # -- the session -------------------------------------------------------------------------

    def browser(self) -> BrowserSession:
        return BrowserSession(flask_session, now=self.clock(), idle_timeout=self.idle_timeout,
                              lifetime=self.lifetime, store=self.store)

    def waiting(self) -> PendingRequest | None:
        """The application request waiting for the capacity page, if any."""
        raw = self.browser().pending
        return PendingRequest.from_json(raw) if raw else None

    def session_id(self) -> str | None:
        """The ID of this browser's sign-in session (`BrowserSession.core_id`), for a front
        end to derive its own per-application session identifier from; never to be sent."""
        return self.browser().core_id

    def session_alive(self, core_id: str | None) -> bool:
        """Whether the sign-in session `core_id` still lives (R12, logout), asked without the
        browser (an OIDC refresh from an application's back end)."""
        return session_alive(self.store, core_id, now=self.clock(), idle_timeout=self.idle_timeout,
                             lifetime=self.lifetime)

    def current(self) -> Current | None:
        browser = self.browser()
        person = browser.person
        return Current(person, browser.entries) if person else None

    def upstream_record(self) -> dict[str, Any] | None:
        """What the back end kept of this session's upstream sign-in (its NameID, …)."""
        return self.browser().upstream

    # -- sign-in -----------------------------------------------------------------------------

    def start(self, pending: PendingRequest) -> Ready | NotSignedIn | NeedsUpstream | ToCapacityPage:
        browser = self.browser()
        person = browser.person
        fresh_needed = person is not None and self._needs_fresh_sign_in(person, pending)
        if person is None or fresh_needed:
            if pending.passive:
                self.trail.write("failed", "no_passive", application=pending.app_code)
                return NotSignedIn(pending, NO_SESSION)
            keep = _Keep(browser.data["person"], [e.to_dict() for e in browser.entries],
                         browser.core_id) if person is not None else None
            return NeedsUpstream(self._state(pending, keep), force_authn=fresh_needed,
                                 method=pending.method, method_exact=pending.method_exact)
        return self._continue(browser, person, pending)

    def _needs_fresh_sign_in(self, person: SignedInPerson, pending: PendingRequest) -> bool:
        """The session's sign-in does not do for this request: asked anew (prompt=login,
        ForceAuthn), too old (max_age), with a weaker method than asked, or of another person
        than the application expects."""
        if pending.force_authn:
            return True
        if pending.max_age is not None \
                and self.clock() - person.authn_instant > dt.timedelta(seconds=pending.max_age):
            return True
        if not pending.accepts_method(person.method):
            return True
        return pending.expected_rrn is not None and pending.expected_rrn != person.rrn

    def _continue(self, browser: BrowserSession, person: SignedInPerson,
                  pending: PendingRequest) -> Ready | NotSignedIn | ToCapacityPage:
        if person.capacity is None or not self._accepts(pending, person.capacity):
            if person.capacity is not None:
                self.trail.write("failed", "capacity_mismatch", person=person,
                                 application=pending.app_code)
            if pending.passive:
                return NotSignedIn(pending, INTERACTION_REQUIRED)
            browser.pending = pending.to_json()
            return ToCapacityPage()
        browser.pending = None
        return Ready(person, pending)

    def _accepts(self, pending: PendingRequest, capacity: Capacity) -> bool:
        if pending.capacity is not None and pending.capacity != capacity.code:
            return False  # the application asked for another capacity: offer the switch
        return capacity_rule.accepts(self._required(pending.app_code), capacity)

    def _required(self, app_code: str) -> str:
        with self.read_db() as db:
            return capacity_rule.application_capacity(db, app_code)

    def answered(self, pending: PendingRequest, person: SignedInPerson, entry: AppEntry) -> None:
        """The front end answered the application: keep the entry for single logout."""
        self.browser().add_entry(entry)
        self.trail.write("success", "assertion_issued", person=person, application=pending.app_code)

    def refused_request(self, reason: str, *, app_code: str | None = None, detail: str = "") -> None:
        """A front end refused an application's request before it reached the core (R14)."""
        self.trail.write("refused", reason, application=app_code, detail=detail)

    def _state(self, pending: PendingRequest | None, keep: _Keep | None = None) -> str:
        return json.dumps({"pending": pending.to_json() if pending else None,
                           "keep": asdict(keep) if keep else None})

    @staticmethod
    def pending_of(state: str) -> PendingRequest | None:
        raw = json.loads(state).get("pending")
        return PendingRequest.from_json(raw) if raw else None

    def upstream_failed(self, state: str | None, reason: str, detail: str) -> Declined | None:
        """The upstream IdP said, signed, that the sign-in failed: the waiting request (if
        any) ends with SIGN_IN_FAILED. Its own words are not passed on (the front end answers
        with our message only)."""
        pending = self.pending_of(state) if state else None
        self.trail.write("failed", reason, application=pending.app_code if pending else None, detail=detail)
        if pending is None:
            return None
        return Declined(pending, Failure(SIGN_IN_FAILED, "Aanmelden mislukt"))

    def upstream_signed_in(self, person: SignedInPerson, upstream: dict[str, Any],
                           state: str) -> LogoutStep:
        """The back end verified the upstream sign-in: a fresh session (new ID) for `person`;
        `upstream` is the back end's own record (for upstream logout, /sp/slo checks)."""
        data = json.loads(state)
        pending = self.pending_of(state)
        browser = self.browser()
        keep = data.get("keep")
        same = bool(keep and keep["person"]["rrn"] == person.rrn and keep["person"].get("capacity"))
        browser.begin(person, upstream, self.rotate, core_id=keep.get("core") if same else None)
        if same:
            # ForceAuthn / max_age of an application: the same person proved themselves again;
            # the capacity and the applications of the session stay as they were.
            browser.set_capacity(Capacity(**keep["person"]["capacity"]))
            for entry in keep["entries"]:
                browser.add_entry(AppEntry.from_dict(entry))
        self.trail.write("success", "upstream_signed_in", person=person,
                         application=pending.app_code if pending else None)
        if pending is not None:
            browser.pending = pending.to_json()
        if keep and not same and keep["entries"]:
            # Someone else finished the fresh sign-in in this browser: the applications that
            # got an answer for the previous person are signed out before the new one goes on
            # (single logout, R12), never left acting for someone who is gone.
            entries = [AppEntry.from_dict(e) for e in keep["entries"]]
            self.trail.write("success", "previous_person_signed_out", person=person,
                             application=pending.app_code if pending else None,
                             detail=f"{len(entries)} application(s) of the previous person: "
                                    + ", ".join(e.app_code for e in entries))
            return self.run_logout(LogoutPlan(entries=entries, resume=True))
        return ToCapacityPage()

    def browser_mismatch(self, rrn: str, state: str) -> None:
        pending = self.pending_of(state)
        self.trail.write("refused", "browser_mismatch", rrn=rrn,
                         application=pending.app_code if pending else None)

    # -- capacity (R13) ---------------------------------------------------------------------

    def _signed_in(self) -> tuple[BrowserSession, SignedInPerson]:
        browser = self.browser()
        person = browser.person
        if person is None:
            raise SessionMissing("no_session", "capacity page without a session",
                                 message=_l("U bent niet (meer) aangemeld; uw sessie is misschien "
                                            "verlopen."))
        return browser, person

    def capacity_view(self) -> ChooseCapacity | Mismatch | Status | Ready:
        browser, person = self._signed_in()
        pending = PendingRequest.from_json(browser.pending) if browser.pending else None
        if person.capacity is None:
            choices = self._choices(person, pending)
            if pending is not None and self._required(pending.app_code) == capacity_rule.CITIZEN \
                    and pending.capacity in (None, capacity_rule.CITIZEN):
                # The application accepts citizens only: there is nothing to choose (#11.3).
                browser.set_capacity(Capacity.citizen())
                browser.pending = None
                return Ready(browser.person, pending)  # type: ignore[arg-type]
            codes = [c.code for c in choices]
            preselected = pending.capacity if pending and pending.capacity in codes else next(
                (c.code for c in choices if c.kind != capacity_rule.CITIZEN), codes[0] if codes else None)
            return ChooseCapacity(person, choices, preselected, pending.app_code if pending else None,
                                  browser.csrf)
        if pending is not None:
            if self._accepts(pending, person.capacity):
                browser.pending = None
                return Ready(person, pending)
            with self.read_db() as db:
                required = capacity_rule.describe_requirement(
                    capacity_rule.application_capacity(db, pending.app_code))
                if pending.capacity is not None:
                    required = capacity_rule.describe_requested(db, pending.capacity)
            return Mismatch(person, pending.app_code, required,
                            self.app_names(browser.entries), browser.csrf)
        return Status(person, browser.entries, browser.csrf)

    def _choices(self, person: SignedInPerson, pending: PendingRequest | None) -> list[Capacity]:
        """The capacities the person may take, limited to what the waiting application
        accepts (#11.3: an employee-only application is not offered "as citizen")."""
        with self.read_db() as db:
            options = capacity_rule.options(db, person.rrn)
        if pending is None:
            return options
        required = self._required(pending.app_code)
        return [c for c in options if capacity_rule.accepts(required, c)]

    def capacity_post(self, form: dict[str, str] | Any) -> ToCapacityPage | Declined | LogoutStep:
        browser, person = self._signed_in()
        check_form_token(form, browser.csrf, RequestRefused("csrf", "form token missing or wrong",
                         message=_l("Dit formulier is verlopen. Laad de pagina opnieuw.")))
        pending = PendingRequest.from_json(browser.pending) if browser.pending else None
        action = form.get("action", "choose")
        if action == "switch":
            # A new capacity needs a fresh upstream sign-in and a fresh session: nothing of
            # the old capacity is carried over (R13). Every application that got an answer
            # in the old capacity is signed out first, so none goes on acting in it.
            entries = browser.entries
            self.trail.write("failed", "capacity_switch", person=person,
                             application=pending.app_code if pending else None,
                             detail=f"signing out of {len(entries)} application(s) first: "
                                    + ", ".join(e.app_code for e in entries))
            browser.end()
            return self.run_logout(LogoutPlan(entries=entries, switch=True, pending=pending))
        if action == "cancel":
            browser.pending = None
            if pending is None:
                return ToCapacityPage()
            self.trail.write("failed", "capacity_declined", person=person, application=pending.app_code)
            return Declined(pending, Failure(CAPACITY_DECLINED, "Verkeerde hoedanigheid"))
        if person.capacity is not None:
            raise RequestRefused("capacity_already_chosen", person.capacity.code,
                                 message=_("U handelt in deze sessie al als %(capacity)s. Een andere "
                                           "hoedanigheid vraagt een nieuwe aanmelding.",
                                           capacity=person.capacity.label()))
        chosen = next((c for c in self._choices(person, pending)
                       if c.code == form.get("capacity", "")), None)
        if chosen is None:
            raise RequestRefused("capacity_not_allowed", form.get("capacity", ""),
                                 message=_l("U kunt niet in die hoedanigheid aanmelden."))
        browser.set_capacity(chosen)
        return ToCapacityPage()

    def app_name(self, code: str) -> str:
        """The catalog name of one application (its code if it has none)."""
        with self.read_db() as db:
            return db.scalar(select(Application.name).where(Application.code == code)) or code

    def app_names(self, entries: list[AppEntry]) -> list[str]:
        """The catalog names of the session's applications (the code if it has none)."""
        codes = [e.app_code for e in entries]
        with self.read_db() as db:
            names = dict(db.execute(select(Application.code, Application.name)
                                    .where(Application.code.in_(codes))).all())
        return [names.get(code) or code for code in codes]

    # -- single logout ------------------------------------------------------------------------

    def confirm_logout(self) -> Current | None:
        """What "Afmelden" would end (the confirmation page lists it)."""
        return self.current()

    def logout_everywhere(self, form: Any) -> LogoutStep | None:
        """The bridge's own "Afmelden", confirmed with the session's form token: every
        application, then upstream. A POST without the token ends nothing. None: nobody
        is signed in here."""
        browser = self.browser()
        if browser.person is None:
            return None
        if not _token_matches(form.get("csrf_token", ""), browser.csrf):
            log.warning("bridge sign-out refused: form token missing or wrong")
            raise SignOutRefused("logout_csrf", "sign-out form token missing or wrong")
        plan = LogoutPlan(entries=browser.entries, upstream=browser.upstream)
        browser.end()
        return self.run_logout(plan)

    def logout_asked(self, *, protocol: str, peer: str | None, reply: Reply,
                     include_upstream: bool = True) -> LogoutStep:
        """A verified logout request (an application's, or the upstream IdP's when
        `include_upstream` is False): every other application, then upstream, then `reply`."""
        browser = self.browser()
        others = [e for e in browser.entries if (e.protocol, e.peer) != (protocol, peer)]
        plan = LogoutPlan(entries=others, upstream=browser.upstream if include_upstream else None,
                          reply=reply)
        browser.end()
        return self.run_logout(plan)

    def logout_hop_done(self, plan_id: str | None, ok: bool) -> LogoutStep:
        """A front-channel hop came back (ok: the peer confirmed it)."""
        plan = logout.load(self.store, plan_id)
        if plan is None:
            raise RequestRefused("unknown_logout", "no logout in progress for this answer")
        if not ok:
            plan.partial = True
        return self.run_logout(plan, plan_id)

    def run_logout(self, plan: LogoutPlan, plan_id: str | None = None) -> LogoutStep:
        self._tell_back_channel(plan)
        while plan.entries:
            entry = plan.entries.pop(0)
            handler = self._hops.get(entry.protocol)
            if handler is None:
                plan.partial = True
                continue
            plan_id = logout.save(self.store, plan, plan_id)
            sent = handler(entry, plan_id)
            if isinstance(sent, bool):  # a back-channel hop, already done
                logout.load(self.store, plan_id)  # no answer comes back for it
                plan.partial = plan.partial or not sent
                continue
            return Sent(sent)
        if plan.resume:
            return ToCapacityPage()
        if plan.switch:
            return self._switch_sign_in(plan)
        if plan.upstream and self._upstream_hop is not None:
            upstream, plan.upstream = plan.upstream, None
            plan_id = logout.save(self.store, plan, plan_id)
            sent = self._upstream_hop(upstream, plan_id)
            if sent is not None:
                return Sent(sent)
            logout.load(self.store, plan_id)
        if plan.reply is not None and plan.reply.protocol in self._replies:
            return Sent(self._replies[plan.reply.protocol](plan.reply, plan.partial))
        return SignedOut(plan.partial)

    def _tell_back_channel(self, plan: LogoutPlan) -> None:
        told = [e for e in plan.entries if e.protocol in self._back_channel]
        if not told:
            return
        plan.entries = [e for e in plan.entries if e.protocol not in self._back_channel]
        # each in a copy of this request's context: its log lines keep the request id
        calls = [(contextvars.copy_context(), self._back_channel[e.protocol], e) for e in told]
        with ThreadPoolExecutor(max_workers=min(_BACK_CHANNEL_THREADS, len(told))) as pool:
            confirmed = list(pool.map(lambda call: call[0].run(call[1], call[2]), calls))
        plan.partial = plan.partial or not all(confirmed)

    def _switch_sign_in(self, plan: LogoutPlan) -> NeedsUpstream:
        """The applications of the old capacity are signed out: the fresh upstream sign-in."""
        if plan.partial:
            # Not every application confirmed; the bridge's side of the old session is gone
            # all the same. The helpdesk finds which one in the log and the trail.
            log.warning("capacity switch: not every application confirmed the logout")
            self.trail.write("failed", "capacity_switch_partial_logout",
                             application=plan.pending.app_code if plan.pending else None)
        pending = plan.pending
        return NeedsUpstream(self._state(pending), force_authn=True,
                             method=pending.method if pending else None,
                             method_exact=pending.method_exact if pending else False)


# The sign-in methods, weakest first: the eID card (smart card and PIN) proves more than the
# federal token (one-time codes), so an eID session does for an application asking a token.
METHOD_STRENGTH = {"token": 1, "eid": 2}


def method_satisfies(used: str, asked: str, exact: bool = False) -> bool:
    """Whether a sign-in with `used` does where `asked` is: as strong or stronger, or (`exact`)
    that method only."""
    if exact:
        return used == asked
    return METHOD_STRENGTH.get(used, 0) >= METHOD_STRENGTH.get(asked, 0)


def _token_matches(given: str, expected: str) -> bool:
    """A form token compared in constant time; one that is not even ASCII is simply wrong."""
    try:
        return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    except (AttributeError, UnicodeEncodeError):
        return False


def check_form_token(form: Any, expected: str, refusal: Exception) -> None:
    if not _token_matches(form.get("csrf_token", ""), expected):
        raise refusal


def new_token() -> str:
    return secrets.token_urlsafe(24)
