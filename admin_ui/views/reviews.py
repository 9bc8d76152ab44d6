"""Access reviews (R16): start one for the government, confirm or revoke its grants row by row
or for a selection, follow the progress, and download the outcome as CSV."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from attribute_authority import catalog, governments, reviews

from ..formatting import day
from ..forms import ReviewFilterForm, StartReviewForm
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import ngettext
from ..request_scope import attempt
from ._common import page_number, row_id, status_of, streamed_csv, today

DECISION_LABELS = {"open": _l("nog te beoordelen"), "confirmed": _l("bevestigd"),
                   "revoked": _l("herroepen"), "unreviewed": _l("niet beoordeeld")}
CATEGORY_LABELS = {"employee": _l("medewerker"), "external": _l("externe")}
REPORT_HEADERS = {"rrn": _l("Rijksregisternummer"), "name": _l("Naam"), "right": _l("Recht"),
                  "application": _l("Toepassing"), "category": _l("Categorie"),
                  "start": _l("Van"), "end": _l("Tot en met"), "decision": _l("Beoordeling"),
                  "decided_by": _l("Beoordeeld door"), "decided_at": _l("Beoordeeld op")}


def overview():
    on = today()
    form = StartReviewForm()
    message = None
    if request.method == "GET":
        form.deadline.data = on + timedelta(days=30)
    elif form.validate_on_submit():
        review, message = attempt(reviews.start, g.db, g.actor, g.government, form.deadline.data,
                                  bool(form.auto_revoke.data), on=on)
        if review is not None:
            flash(_("De herziening is gestart: beoordeel de toekenningen vóór %(deadline)s.",
                    deadline=day(review.deadline)))
            return redirect(url_for("admin.review", review_id=review.id))
    listed = reviews.of_government(g.db, g.actor, g.government, on)
    return render_template("admin/reviews/overview.html", form=form, message=message,
                           reviews=[(r, reviews.progress(g.db, r)) for r in listed],
                           government=governments.by_code(g.db, g.government)), \
        status_of(message or (form.errors if request.method == "POST" else None))


def _filter_form() -> tuple[ReviewFilterForm, reviews.ItemFilter]:
    form = ReviewFilterForm()
    form.application.choices = [("", _("alle"))] + [(a.code, a.name) for a in catalog.applications(g.db)]
    form.category.choices = [("", _("alle"))] + list(CATEGORY_LABELS.items())
    form.decision.choices = [("", _("alle"))] + list(DECISION_LABELS.items())
    pick = {name: (getattr(form, name).data if getattr(form, name).data in
                   dict(getattr(form, name).choices) else "")
            for name in ("application", "category", "decision")}
    return form, reviews.ItemFilter(pick["application"] or None, pick["category"] or None,
                                    pick["decision"] or None)


def review(review_id: int):
    on = today()
    item = reviews.get(g.db, g.actor, review_id, on)
    message = None
    if request.method == "POST":
        decision = request.form.get("decision")
        picked = request.form.getlist("item")
        row = request.form.get("row", "")
        if row:  # one row's own button: "confirmed:ID" or "revoked:ID"
            decision, _sep, item_id = row.partition(":")
            picked = [item_id]
        chosen = [i for i in map(row_id, picked) if i is not None]
        if len(chosen) != len(picked):
            chosen = [0]  # a name that is no row of ours: refused as not found, nothing changes
        changed, message = attempt(reviews.decide, g.db, g.actor, review_id, chosen,
                                   decision or "", request.form.get("reason") or None, on=on)
        if changed is not None:
            flash(ngettext("%(num)s toekenning %(what)s.", "%(num)s toekenningen %(what)s.",
                           changed, what=DECISION_LABELS.get(decision or "", "")))
            return redirect(request.full_path.rstrip("?"))
    form, flt = _filter_form()
    page = reviews.items(g.db, g.actor, review_id, flt, page=page_number())
    return render_template("admin/reviews/review.html", review=item, form=form, page=page,
                           progress=reviews.progress(g.db, item), message=message,
                           decision_labels=DECISION_LABELS, category_labels=CATEGORY_LABELS), \
        status_of(message)


def report(review_id: int):
    actor = g.actor
    labels = {k: str(v) for k, v in DECISION_LABELS.items()}
    columns = [(key, str(REPORT_HEADERS[key])) for key in reviews.REPORT_COLUMNS]

    def rows_of(session):
        rows = reviews.report_rows(session, actor, review_id)
        return ({**row, "decision": labels.get(row["decision"], row["decision"])} for row in rows)

    return streamed_csv(columns, rows_of, f"herziening-{review_id}.csv")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/reviews", view_func=overview, endpoint="reviews", methods=["GET", "POST"])
    bp.add_url_rule("/reviews/<id:review_id>", view_func=review, endpoint="review",
                    methods=["GET", "POST"])
    bp.add_url_rule("/reviews/<id:review_id>/report.csv", view_func=report, endpoint="review_csv")
