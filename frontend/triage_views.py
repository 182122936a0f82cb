"""The triage forms: resolve, reopen, mute, unmute and discard one issue (issue page) or several (issue list).

Plain CSRF-protected POST forms that answer with a redirect back to the page, so they work without JavaScript.
Every change goes through issues.triage; these views only check who may do it and read the form.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from frontend import access
from frontend.triage_options import triage_options
from issues import lifecycle, triage
from issues.filter_preview import PREVIEW_DAYS
from issues.lifecycle import LifecycleError
from issues.models import Issue


def _form_action(request) -> tuple[str, str, dict]:
    """(action, duration, options) of the posted form; LifecycleError says what is wrong with it."""
    action = request.POST.get("action", "")
    if action not in triage.ACTIONS:
        raise LifecycleError(f"unknown action {action!r}")
    duration, options = triage_options(action, request.POST)
    lifecycle.check_action(action, duration, **options)
    return action, duration, options


PAST_TENSE = {
    "resolve": "resolved",
    "unresolve": "reopened",
    "mute": "muted",
    "unmute": "unmuted",
    "discard": "discarded",
    "undiscard": "restored",
}


def _report(request, action: str, changed: list[int]) -> None:
    """One line on the page the form returns to: how many issues changed (none when all were already there)."""
    count = len(changed)
    noun = "issue" if count == 1 else "issues"
    messages.info(request, f"{count} {noun} {PAST_TENSE[action]}." if count else "Nothing to do: no issue changed.")


@require_POST
@login_required
def triage_issue(request, issue_id: int):
    issue = access.visible_issue(request.user, issue_id)
    try:
        action, duration, options = _form_action(request)
    except LifecycleError as error:
        return HttpResponseBadRequest(str(error))
    changed = triage.triage(Issue.objects.filter(pk=issue.pk), request.user, action, duration, **options)
    _report(request, action, changed)
    return redirect("issue", issue.pk)


@login_required
def discard_issue(request, issue_id: int):
    """What discarding would do, before it is done: the issue's events of the last days, which its filter would
    have dropped (all of them: the filter is on the issue's own grouping keys). The form posts to triage_issue."""
    issue = access.visible_issue(request.user, issue_id)
    since = timezone.now() - timedelta(days=PREVIEW_DAYS)
    recent = issue.hourly_counts.filter(hour__gte=since).aggregate(total=Sum("count"))["total"] or 0
    return render(
        request,
        "frontend/issue_discard.html",
        {"project": issue.project, "issue": issue, "recent_events": recent, "preview_days": PREVIEW_DAYS},
    )


@require_POST
@login_required
def triage_bulk(request):
    try:
        action, duration, options = _form_action(request)
    except LifecycleError as error:
        return HttpResponseBadRequest(str(error))
    raw_ids = request.POST.getlist("issue")
    if not raw_ids:
        # Only a page without JavaScript can send this (the buttons are disabled until a row is selected): it is
        # answered on that page rather than with a bare error page.
        messages.warning(request, "Select at least one issue first.")
        return redirect(_back(request))
    issue_ids = {access.parse_id(raw) for raw in raw_ids}
    if len(raw_ids) > triage.MAX_ISSUES or None in issue_ids:
        return HttpResponseBadRequest(f"at most {triage.MAX_ISSUES} issue ids, as numbers")
    # All or nothing: one issue the user may not see makes the whole request a 404, with nothing changed.
    issues = access.visible_issues(request.user, issue_ids)
    changed = triage.triage(issues, request.user, action, duration, **options)
    _report(request, action, changed)
    return redirect(_back(request))


def _back(request) -> str:
    """The list the form was sent from, when it is one of ours."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("all-issues")
    return back
