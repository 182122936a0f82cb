"""What a live page is subscribed to, and the HTML fragments pushed to it when digest reports changed issues.

Pushes are hints (channel layers deliver at most once): each one is re-rendered from the database for the
page's user, with the same access check and the same filters as the page, and the page refetches itself
after a reconnect.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string

from frontend import access, listing
from frontend.issue_detail import stored_events
from issues.models import Issue
from projects.models import Project


@dataclass(frozen=True)
class Subscription:
    project_ids: tuple[int, ...]
    list_params: listing.ListParams | None = None  # a list page
    first_page: bool = True
    issue_id: int | None = None  # an issue page
    times_seen_at_open: int = 0


def subscribe(user, query: dict[str, str]) -> Subscription | None:
    """The subscription a page asks for in its socket URL, or None when the user may not see it."""
    if not user or not user.is_authenticated:
        return None
    if "issue" in query:
        issue_id = access.parse_id(query["issue"])
        issue = (
            Issue.objects.filter(pk=issue_id, project__in=Project.objects.visible_to(user).values("id"))
            .only("id", "project_id", "times_seen")
            .first()
            if issue_id is not None
            else None
        )
        if issue is None:
            return None
        return Subscription(project_ids=(issue.project_id,), issue_id=issue.pk, times_seen_at_open=issue.times_seen)
    visible = access.visible_project_ids(user)
    if "project" in query:
        project_id = access.parse_id(query["project"])
        if project_id not in visible:
            return None
        visible = [project_id]
    if not visible:
        return None
    return Subscription(
        project_ids=tuple(visible),
        list_params=listing.ListParams.from_querydict(query),
        first_page=not query.get("cursor"),
    )


def render_update(user, subscription: Subscription, issue_ids: list[int]) -> str:
    """The out-of-band fragments for the changed issues, or "" when nothing on this page changed."""
    # Visibility is checked again on every push: a user removed from a team stops receiving at once.
    visible = set(access.visible_project_ids(user)) & set(subscription.project_ids)
    if not visible:
        return ""
    if subscription.issue_id is not None:
        return _issue_page_update(subscription, issue_ids, visible)
    return _list_update(subscription, issue_ids, sorted(visible))


def _list_update(subscription: Subscription, issue_ids: list[int], project_ids: list[int]) -> str:
    params = subscription.list_params
    matching = listing.matching_issues(project_ids, params)
    # A page shows at most PAGE_SIZE rows, so a burst touching hundreds of issues pushes only the first of them.
    changed = list(
        listing.with_row_fields(matching.filter(id__in=issue_ids)).order_by(f"-{listing.SORTS[params.sort]}", "-id")[
            : listing.PAGE_SIZE
        ]
    )
    listing.prepare_rows(changed)
    # Changed issues that no longer match (resolved on an unresolved list, say) leave the page.
    gone = Issue.objects.filter(id__in=issue_ids, project_id__in=project_ids).exclude(
        id__in=matching.filter(id__in=issue_ids).values("id")
    )
    return render_to_string(
        "frontend/partials/list_update.html",
        {
            "issues": changed,
            "gone": list(gone.values_list("id", flat=True)),
            "total": listing.count_matching(matching),
            "count_cap": listing.COUNT_CAP,
            # Sorted by last seen, a changed issue belongs at the top of the first page; in other orders the row
            # is updated where it stands (and an issue not on the page waits for the next load).
            "to_top": params.sort == "last_seen" and subscription.first_page,
        },
    )


def _issue_page_update(subscription: Subscription, issue_ids: list[int], project_ids: set[int]) -> str:
    if subscription.issue_id not in issue_ids:
        return ""
    issue = Issue.objects.select_related("project").filter(pk=subscription.issue_id, project_id__in=project_ids).first()
    if issue is None:
        return ""
    return render_to_string(
        "frontend/partials/issue_update.html",
        {
            "issue": issue,
            "new_events": max(0, issue.times_seen - subscription.times_seen_at_open),
            "stored_events": stored_events(issue),
        },
    )
