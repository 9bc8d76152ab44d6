"""A civil servant's own pages at /account/ ("Mijn rechten", issue 14 task 1) and the request
page an application links to, /account/request?app=…[&right=…][&government=…] (R15).

Any person the bridge signed in may open them (auth.require_sign_in; no administrator role).
They only ever show and file things of the signed-in person, named by the RRN of the session:
no page takes an id of a person, relation or grant."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from attribute_authority import account, catalog, people
from attribute_authority.errors import InvalidInput, NotFound

from .. import auth, request_scope
from ..formatting import day
from ..forms import AccountRequestForm, AccountSwitchForm
from ..i18n import gettext as _
from ..request_scope import attempt
from . import home as admin_home
from ._common import deliver_mail, deps, status_of, today
from .requests import KIND_LABELS, STATUS_LABELS


def overview():
    view = account.overview(g.db, g.rrn, g.government, today())
    others = [r for r in view.relations if r.government.code != g.government]
    return render_template("account/home.html", view=view, others=others,
                           applications=catalog.applications(g.db),
                           ending_within=account.ENDING_WITHIN_DAYS,
                           status_labels=STATUS_LABELS, kind_labels=KIND_LABELS)


def ask():
    """GET: the request form as the link fills it in; POST: file the request."""
    app_code = request.args.get("app", "").strip()
    if not app_code:
        raise InvalidInput(detail="de link naar deze pagina noemt geen toepassing (app=…)",
                           detail_en="the link to this page names no application (app=…)")
    found = account.choices(g.db, g.rrn, app_code, request.args.get("right") or None,
                            request.args.get("government") or None)
    form = AccountRequestForm()
    form.right.choices = [(r.code, r.name) for r in found.rights]
    offered = list(found.governments)
    if found.government is not None and found.government not in offered:
        offered.insert(0, found.government)
    form.government.choices = [(gov.code, gov.name) for gov in offered]
    related = {r.government.code for r in _open_relations()}
    if request.method == "GET":
        form.right.data = found.right.code if found.right else (
            found.rights[0].code if len(found.rights) == 1 else None)
        form.government.data = (found.government.code if found.government else
                                g.government if g.government in related else
                                offered[0].code if len(offered) == 1 else None)
    message = None
    if request.method == "POST" and form.validate_on_submit():
        done, message = attempt(account.submit, g.db, deps().national_register, g.rrn, app_code,
                                form.government.data, form.right.data, form.motivation.data,
                                form.email.data, on=today())
        if done is not None:
            deliver_mail()
            flash(_("Uw aanvraag voor %(right)s bij %(government)s is verstuurd naar de lokale "
                    "beheerders. U krijgt een e-mail zodra er beslist is; zonder antwoord vervalt "
                    "ze op %(day)s.", right=done.right.name, government=done.government.name,
                    day=day(done.expires_on)))
            return redirect(url_for("account.home"))
    # What the request will be (new right, extension, to be added) is shown when the link
    # fixed right and government: with a choice on the page it would change without JavaScript.
    fixed_right = found.right or (found.rights[0] if len(found.rights) == 1 else None)
    plan, refused = None, None
    if fixed_right and found.government and message is None:
        plan, refused = attempt(account.draft, g.db, g.rrn, found.government.code,
                                fixed_right.code, today())
        message = refused
    # a request to be added needs the address the answer (and later notices) go to
    needs_email = form.government.data not in related
    return render_template("account/request.html", form=form, found=found, plan=plan,
                           fixed_right=fixed_right, refused=refused,
                           needs_email=needs_email, message=message, kind_labels=KIND_LABELS), \
        status_of(message or (form.errors if request.method == "POST" else None))


def _open_relations():
    person = people.find(g.db, g.rrn)
    return account.open_relations(g.db, person.id) if person else []


def switch():
    """Act as employee of another government of one's own, to see one's rights there or (from
    the admin UI's 403 page) to administer it: another capacity, so the bridge asks for a
    fresh sign-in (R13), as the admin UI's switch does."""
    form = AccountSwitchForm()
    own = {r.government.code for r in _open_relations()}
    if not form.validate_on_submit() or form.government.data not in own:
        raise NotFound(what="Bestuur", what_en="Government", key=form.government.data or "—")
    return auth.start_sign_in(form.next.data or url_for("account.home"),
                              government=form.government.data)


def create_blueprint() -> Blueprint:
    """The account pages as a blueprint named "account"; mount it at /account beside the
    admin blueprint (whose sign-in, session store and translations it uses)."""
    bp = Blueprint("account", __name__, template_folder="../templates")
    request_scope.install(bp, guard=auth.require_sign_in)
    bp.context_processor(admin_home.header)
    bp.add_url_rule("/", view_func=overview, endpoint="home")
    bp.add_url_rule("/request", view_func=ask, endpoint="request", methods=["GET", "POST"])
    bp.add_url_rule("/switch", view_func=switch, endpoint="switch", methods=["POST"])
    return bp
