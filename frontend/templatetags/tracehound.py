from django import template

from projects.models import Project

register = template.Library()


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
