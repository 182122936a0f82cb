import json
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from projects import keys
from projects.models import Organization, Project, ProjectKey, Team


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def parse_dsn(dsn: str) -> tuple[str, str, int]:
    parts = urlsplit(dsn)
    return parts.username, parts.hostname, int(parts.path.rsplit("/", 1)[1])


@pytest.mark.django_db
def test_bootstrap_json_creates_a_usable_installation(monkeypatch):
    monkeypatch.setenv("TRACEHOUND_ADMIN_PASSWORD", "correct horse battery staple")
    result = json.loads(run("bootstrap", "--json"))
    assert set(result) == {"url", "username", "password", "project_id", "dsn"}
    assert result["password"] == "correct horse battery staple"
    user = get_user_model().objects.get(username=result["username"])
    assert user.is_superuser and user.check_password("correct horse battery staple")
    public_key, _, project_id = parse_dsn(result["dsn"])
    assert project_id == result["project_id"]
    assert keys.project_for_key(project_id, public_key) is not None
    assert Project.objects.visible_to(user).filter(id=project_id).exists()


@pytest.mark.django_db
def test_bootstrap_twice_creates_no_duplicates_and_keeps_the_dsn():
    first = json.loads(run("bootstrap", "--json"))
    second = json.loads(run("bootstrap", "--json"))
    assert second["dsn"] == first["dsn"]
    assert "password" in first and "password" not in second  # a generated password is shown once
    assert get_user_model().objects.count() == 1
    assert (Organization.objects.count(), Team.objects.count(), Project.objects.count()) == (1, 1, 1)
    assert ProjectKey.objects.count() == 1


@pytest.mark.django_db
def test_bootstrap_text_names_url_login_and_dsn():
    text = run("bootstrap")
    dsn = json.loads(run("bootstrap", "--json"))["dsn"]
    assert "Log in at:  http://localhost:8000/" in text
    assert "Username:   admin" in text
    assert f"DSN:        {dsn}" in text


@pytest.mark.django_db
def test_createproject_json_gives_a_working_dsn():
    run("bootstrap")
    result = json.loads(run("createproject", "Payments", "--json"))
    assert set(result) == {"project_id", "dsn"}
    public_key, _, project_id = parse_dsn(result["dsn"])
    assert project_id == result["project_id"]
    assert keys.project_for_key(project_id, public_key).project_id == project_id
    again = json.loads(run("createproject", "Payments", "--json"))
    assert again["project_id"] != project_id
    assert Project.objects.get(id=again["project_id"]).slug == "payments-2"


@pytest.mark.django_db
def test_createproject_before_bootstrap_or_with_unknown_team_is_a_clear_error():
    with pytest.raises(CommandError, match="bootstrap"):
        run("createproject", "Payments")
    run("bootstrap")
    with pytest.raises(CommandError, match="no team 'nope'"):
        run("createproject", "Payments", "--team", "nope")


@pytest.mark.django_db
def test_bootstrap_makes_no_key_for_a_project_whose_keys_were_revoked():
    first = json.loads(run("bootstrap", "--json"))
    ProjectKey.objects.update(is_active=False)
    again = json.loads(run("bootstrap", "--json"))
    assert again["project_id"] == first["project_id"] and again["dsn"] is None
    assert "every key of this project was revoked" in run("bootstrap")
    assert not ProjectKey.objects.filter(is_active=True).exists()


@pytest.mark.django_db
def test_bootstrap_gives_the_admin_an_address_for_the_first_projects_alerts(monkeypatch):
    run("bootstrap")
    assert get_user_model().objects.get(username="admin").email == "admin@localhost"
    get_user_model().objects.all().delete()
    monkeypatch.setenv("TRACEHOUND_ADMIN_EMAIL", "ops@shop.example")
    run("bootstrap")
    assert get_user_model().objects.get(username="admin").email == "ops@shop.example"
