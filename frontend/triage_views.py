"""The triage forms: resolve, reopen, mute and unmute one issue (issue page) or several (issue list).

Plain CSRF-protected POST forms that answer with a redirect back to the page, so they work without JavaScript.
Every change goes through issues.triage; these views only check who may do it and read the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from frontend import access
from issues import triage
from issues.models import Issue


def _form_action(request) -> tuple[str, str] | None:
    action = request.POST.get("action", "")
    duration = request.POST.get("duration", "forever")
    if action not in triage.ACTIONS or duration not in triage.MUTE_DURATIONS:
        return None
    return action, duration


PAST_TENSE = {"resolve": "resolved", "unresolve": "reopened", "mute": "muted", "unmute": "unmuted"}


def _report(request, action: str, changed: list[int]) -> None:
    """One line on the page the form returns to: how many issues changed (none when all were already there)."""
    count = len(changed)
    noun = "issue" if count == 1 else "issues"
    messages.info(request, f"{count} {noun} {PAST_TENSE[action]}." if count else "Nothing to do: no issue changed.")


@require_POST
@login_required
def triage_issue(request, issue_id: int):
    issue = access.visible_issue(request.user, issue_id)
    form = _form_action(request)
    if form is None:
        return HttpResponseBadRequest("unknown action or mute duration")
    action, duration = form
    changed = triage.triage(Issue.objects.filter(pk=issue.pk), request.user, action, duration)
    _report(request, action, changed)
    return redirect("issue", issue.pk)


@require_POST
@login_required
def triage_bulk(request):
    form = _form_action(request)
    if form is None:
        return HttpResponseBadRequest("unknown action or mute duration")
    raw_ids = request.POST.getlist("issue")
    if not raw_ids:
        # Only a page without JavaScript can send this (the buttons are disabled until a row is selected): it is
        # answered on that page rather than with a bare error page.
        messages.warning(request, "Select at least one issue first.")
        return redirect(_back(request))
    issue_ids = {access.parse_id(raw) for raw in raw_ids}
    if len(raw_ids) > triage.MAX_ISSUES or None in issue_ids:
        return HttpResponseBadRequest(f"at most {triage.MAX_ISSUES} issue ids, as numbers")
    action, duration = form
    # All or nothing: one issue the user may not see makes the whole request a 404, with nothing changed.
    issues = access.visible_issues(request.user, issue_ids)
    changed = triage.triage(issues, request.user, action, duration)
    _report(request, action, changed)
    return redirect(_back(request))


def _back(request) -> str:
    """The list the form was sent from, when it is one of ours."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("all-issues")
    return back
