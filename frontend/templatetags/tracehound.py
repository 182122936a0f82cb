from django import template
from django.utils import timezone

from frontend.alert_display import TRIGGER_NAMES
from frontend.display import relative_time
from notify.compose import outage
from projects.models import Project

register = template.Library()

# The characters that set or end a text direction (marks, embeddings, overrides, isolates): in untrusted text
# they can make what follows read backwards. Inside an element, <bdi> contains them; a <title> holds no elements.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


@register.simple_tag(takes_context=True)
def visible_projects(context):
    """The projects of the signed-in user, for the project switcher."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return list(Project.objects.visible_to(request.user).order_by("name").only("id", "name"))


@register.filter
def short_id(issue):
    return f"{issue.project.slug.upper()}-{issue.short_id}"


@register.filter
def ago(moment):
    """A moment as "3 hours ago", worded as the issue lists word it."""
    return relative_time(moment, timezone.now()) if moment else ""


@register.filter
def without_bidi_controls(text):
    """`text` without direction controls, for places that cannot isolate it (the page title)."""
    return str(text).translate(BIDI_CONTROLS)


@register.filter
def trigger_name(trigger):
    """An alert's trigger as a delivery row names it: "new issue", "event frequency", ..."""
    return TRIGGER_NAMES.get(trigger, trigger)


@register.filter
def outage_length(seconds):
    """How long a recovered incident's outage lasted: "2 h 5 min"."""
    return outage(seconds) if type(seconds) is int else ""
