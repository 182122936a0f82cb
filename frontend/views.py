from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from projects.models import Project
from projects.services import active_key


@login_required
def home(request):
    projects = Project.objects.visible_to(request.user).order_by("name")
    rows = [{"project": project, "dsn": active_key(project).dsn} for project in projects]
    return render(request, "frontend/home.html", {"rows": rows})
