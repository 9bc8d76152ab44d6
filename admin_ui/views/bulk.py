"""Bulk work (issue task 6): one right to many people (R10: filter, paged candidates with
checkboxes whose ticks are kept server-side page by page, or "everyone matching the filter";
then the chosen people, period and reason once, confirm a count; all or nothing), and bulk
upload of people from CSV (dry run with per-line problems, then a server-side job with a
progress page, resumable when its process died; all without JS)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from attribute_authority import bulk, catalog, governments, grants, uploads
from attribute_authority.bulk import BulkRefused
from attribute_authority.errors import InvalidInput

from ..forms import CATEGORY_CHOICES, TYPE_CHOICES, ActionForm, BulkFilterForm, BulkGrantForm, UploadForm
from ..i18n import gettext as _
from ..i18n import language
from ..request_scope import attempt
from ._common import deps, page_number, row_id, status_of, today


def _rights(government) -> dict:
    return {r.code: r for r in catalog.rights_for(g.db, government)}


def _filters(rights: dict) -> BulkFilterForm:
    filters = BulkFilterForm()
    filters.right.choices = [("", _("kies een recht"))] + [(c, f"{r.name} ({c})")
                                                          for c, r in rights.items()]
    return filters


def _ids(name: str) -> list[int]:
    values = request.form.getlist(name)
    ids = [i for i in map(row_id, values) if i is not None]
    if len(ids) != len(values):
        raise InvalidInput(detail="een selectie bestaat uit relatienummers",
                           detail_en="a selection consists of relation numbers")
    return ids


def _filter_values(source) -> tuple[str | None, str | None]:
    """Category and type of a filter, each one of the known values or none."""
    category, type_ = source.get("category") or None, source.get("type") or None
    if category not in (None, *dict(CATEGORY_CHOICES)) or type_ not in (None, *dict(TYPE_CHOICES)):
        raise InvalidInput(detail="onbekende categorie of type", detail_en="unknown category or type")
    return category, type_


def _candidates_page(government, right, category, type_, selection, message=None):
    """One page of candidates with a checkbox for each selectable one; paging, "all matching"
    and "next" are buttons of the same form, so the ticks of the page are kept (no JS)."""
    on = today()
    page = bulk.candidates_page(g.db, g.actor, government.code, right.code, category=category,
                                type=type_, on=on, page=page_number())
    matching = bulk.count_matching(g.db, g.actor, government.code, right.code,
                                   category=category, type=type_, on=on)
    chosen = set(selection.relation_ids) if selection else set()
    selected = matching if selection and selection.all_matching else len(chosen)
    filters = _filters(_rights(government))
    filters.right.data, filters.category.data, filters.type.data = right.code, category, type_
    return render_template("admin/bulk/grant.html", filters=filters, right=right, page=page,
                           selection=selection, chosen=chosen, matching=matching,
                           selected=selected, category=category or "", type=type_ or "",
                           max_selected=bulk.MAX_SELECTED, message=message), \
        status_of(message)


def bulk_grant():
    """Step 1: the filter, and the first page of candidates. Ticking and paging (a POST)
    starts the selection of this bulk operation."""
    government = governments.by_code(g.db, g.government)
    rights = _rights(government)
    source = request.form if request.method == "POST" else request.args
    code = source.get("right") if source.get("right") in rights else None
    if code is None:
        return render_template("admin/bulk/grant.html", filters=_filters(rights), right=None,
                               message=None), \
            status_of(_("Kies een recht.") if request.method == "POST" else None)
    category, type_ = _filter_values(source)
    if request.method == "GET":
        return _candidates_page(government, rights[code], category, type_, None)
    selection, message = attempt(bulk.open_selection, g.db, g.actor, government.code, code,
                                 category=category, type=type_, on=today())
    if message is None:
        answer, message = attempt(_apply_page, selection.id)
        if message is None:
            return answer
    return _candidates_page(government, rights[code], category, type_, None, message)


def _apply_page(selection_id: int):
    """What a page of candidates posts: the ticks of that page, then where to go."""
    action = request.form.get("action", "save")
    if action in ("all", "none"):
        selection = bulk.select_all_matching(g.db, g.actor, selection_id, action == "all",
                                             today())
    else:
        selection = bulk.update_selection(g.db, g.actor, selection_id, _ids("shown"),
                                          _ids("relations"), today())
    if action == "review":
        return redirect(url_for("admin.bulk_review", selection_id=selection.id))
    page = request.form.get("goto", type=int) or request.form.get("page", type=int) or 1
    return redirect(url_for("admin.bulk_selection", selection_id=selection.id, page=page))


def bulk_selection(selection_id: int):
    """Step 2: any page of candidates, ticked as the selection says."""
    selection = bulk.selection_of(g.db, g.actor, selection_id, today())
    government = governments.by_code(g.db, g.government)
    right = catalog.right_by_code(g.db, selection.right_code)
    message = None
    if request.method == "POST":
        answer, message = attempt(_apply_page, selection.id)
        if message is None:
            return answer
        selection = bulk.selection_of(g.db, g.actor, selection_id, today())
    return _candidates_page(government, right, selection.category, selection.type, selection,
                            message)


def bulk_review(selection_id: int):
    """Step 3: the chosen people (paged), the period and reason once, then the confirmation
    of the count; the grant is all or nothing (R10)."""
    on = today()
    selection = bulk.selection_of(g.db, g.actor, selection_id, on)
    right = catalog.right_by_code(g.db, selection.right_code)
    chosen = bulk.chosen_page(g.db, g.actor, selection_id, on, page_number())
    form = BulkGrantForm()
    message, problems, step = None, [], "period"
    if request.method == "GET":
        period = grants.plan_new(right, None, None, on)
        form.start.data, form.end.data = period.start, period.end
    elif chosen.total == 0:
        message = _("Selecteer minstens één persoon.")
    elif form.validate_on_submit():
        if form.step.data == "check":
            _period, message = attempt(grants.plan_new, right, form.start.data, form.end.data, on)
            step = "period" if message else "commit"
        elif form.step.data == "commit":
            created, message = attempt(bulk.grant_selection, g.db, g.actor, selection_id,
                                       expected=form.count.data or 0, start=form.start.data,
                                       end=form.end.data, reason=form.reason.data or None, on=on)
            if message is None:
                flash(_("Succesvol ontvangen: %(count)s personen kregen het recht %(right)s.",
                        count=len(created), right=right.name))
                return redirect(url_for("admin.bulk_grant"))
            refusal = g.get("refused")
            if isinstance(refusal, BulkRefused):
                problems = [(r.person.full_name, p.message(language())) for r, p in refusal.problems]
            selection = bulk.selection_of(g.db, g.actor, selection_id, on)
            chosen = bulk.chosen_page(g.db, g.actor, selection_id, on, page_number())
    form.step.data = "commit" if step == "commit" else "check"
    form.count.data = chosen.total
    return render_template("admin/bulk/review.html", selection=selection, right=right,
                           chosen=chosen, form=form, step=step, problems=problems,
                           message=message), \
        status_of(message or (form.errors if request.method == "POST" else None))


def upload():
    form = UploadForm()
    checks, message, job = [], None, None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text, message = None, _("Het bestand is geen UTF-8-tekst. Bewaar het als CSV (UTF-8) "
                                    "en probeer opnieuw.")
        if text is not None:
            checks, message = attempt(uploads.check, g.db, g.actor, deps().national_register,
                                      g.government, text, today())
            checks = checks or []
            if message is None and not any(c.problem for c in checks):
                job, message = attempt(uploads.start, g.db, g.actor, deps().national_register,
                                       g.government, text, today())
    return render_template("admin/bulk/upload.html", form=form, checks=checks, job=job,
                           message=message, problems=sum(1 for c in checks if c.problem),
                           action=ActionForm()), \
        status_of(message or (form.errors if request.method == "POST" else None))


def upload_run(job_id: int):
    job = uploads.get(g.db, g.actor, job_id, today())
    response = redirect(url_for("admin.upload_job", job_id=job.id, started=1))
    if job.status == "ready":
        factory, register, job_id = deps().session_factory, deps().national_register, job.id
        run_job = deps().run_job
        # Started once this request's unit of work is closed: the job writes in its own.
        response.call_on_close(lambda: run_job(lambda: uploads.run(factory, register, job_id)))
    return response


def upload_resume(job_id: int):
    job = uploads.resume(g.db, g.actor, job_id, today())
    flash(_("Het opladen wordt hervat: nog %(left)s van %(total)s regels.",
            left=job.total - job.done, total=job.total))
    return upload_run(job.id)


def upload_job(job_id: int):
    job = uploads.get(g.db, g.actor, job_id, today())
    state = uploads.state(job)
    return render_template("admin/bulk/job.html", job=job, state=state, action=ActionForm(),
                           stale_minutes=int(uploads.STALE_AFTER.total_seconds() // 60),
                           refresh=state == "running" or (state == "ready"
                                                          and bool(request.args.get("started"))))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/bulk/grant", view_func=bulk_grant, endpoint="bulk_grant", methods=["GET", "POST"])
    bp.add_url_rule("/bulk/grant/<id:selection_id>", view_func=bulk_selection,
                    endpoint="bulk_selection", methods=["GET", "POST"])
    bp.add_url_rule("/bulk/grant/<id:selection_id>/review", view_func=bulk_review,
                    endpoint="bulk_review", methods=["GET", "POST"])
    bp.add_url_rule("/bulk/upload", view_func=upload, endpoint="upload", methods=["GET", "POST"])
    bp.add_url_rule("/bulk/upload/<id:job_id>", view_func=upload_job, endpoint="upload_job")
    bp.add_url_rule("/bulk/upload/<id:job_id>/run", view_func=upload_run, endpoint="upload_run",
                    methods=["POST"])
    bp.add_url_rule("/bulk/upload/<id:job_id>/resume", view_func=upload_resume,
                    endpoint="upload_resume", methods=["POST"])
