"""Bulk work (issue task 6): one right to many people (R10: filter, preview with checkboxes,
period and reason once, confirm, all or nothing), and bulk upload of people from CSV (dry run
with per-line problems, then a server-side job with a progress page that works without JS)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from attribute_authority import bulk, catalog, governments, grants, uploads
from attribute_authority.bulk import BulkRefused

from ..forms import ActionForm, BulkFilterForm, BulkGrantForm, UploadForm
from ..i18n import gettext as _
from ..i18n import language
from ..request_scope import attempt
from ._common import deps, status_of, today


def bulk_grant():
    on = today()
    government = governments.by_code(g.db, g.government)
    rights = {r.code: r for r in catalog.rights_for(g.db, government)}
    filters = BulkFilterForm()
    filters.right.choices = [("", _("kies een recht"))] + [(c, f"{r.name} ({c})") for c, r in rights.items()]
    form = BulkGrantForm()
    source = form if request.method == "POST" else filters
    code = source.right.data if source.right.data in rights else None
    category, type_ = source.category.data or None, source.type.data or None
    if code is None:
        return render_template("admin/bulk/grant.html", filters=filters, form=None, candidates=[],
                               step="filter", problems=[], message=None), \
            status_of(_("Kies een recht.") if request.method == "POST" else None)
    right = rights[code]
    found = bulk.candidates(g.db, g.actor, government.code, code, category=category, type=type_, on=on)
    form.relations.choices = [(c.relation.id, c.relation.person.full_name) for c in found
                              if not c.holds_already]
    form.right.data, form.category.data, form.type.data = code, category or "", type_ or ""
    message, problems, step = None, [], "select"
    if request.method == "GET":
        period = grants.plan_new(right, None, None, on)
        form.start.data, form.end.data = period.start, period.end
    elif form.validate_on_submit():
        if not form.relations.data:
            message = _("Selecteer minstens één persoon.")
        elif form.step.data == "confirm":
            _period, message = attempt(grants.plan_new, right, form.start.data, form.end.data, on)
            step = "select" if message else "commit"
        elif form.step.data == "commit":
            created, message = attempt(bulk.grant_many, g.db, g.actor, government.code, code,
                                       form.relations.data, start=form.start.data,
                                       end=form.end.data, reason=form.reason.data or None, on=on)
            if message is None:
                flash(_("Succesvol ontvangen: %(count)s personen kregen het recht %(right)s.",
                        count=len(created), right=right.name))
                return redirect(url_for("admin.bulk_grant"))
            refusal = g.get("refused")
            if isinstance(refusal, BulkRefused):
                problems = [(r.person.full_name, p.message(language())) for r, p in refusal.problems]
    chosen = [c for c in found if c.relation.id in (form.relations.data or [])]
    form.step.data = "commit" if step == "commit" else "confirm"
    return render_template("admin/bulk/grant.html", filters=filters, form=form, candidates=found,
                           chosen=chosen, right=right, step=step, problems=problems,
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
    bp.add_url_rule("/bulk/upload", view_func=upload, endpoint="upload", methods=["GET", "POST"])
    bp.add_url_rule("/bulk/upload/<int:job_id>", view_func=upload_job, endpoint="upload_job")
    bp.add_url_rule("/bulk/upload/<int:job_id>/run", view_func=upload_run, endpoint="upload_run",
                    methods=["POST"])
    bp.add_url_rule("/bulk/upload/<int:job_id>/resume", view_func=upload_resume,
                    endpoint="upload_resume", methods=["POST"])
