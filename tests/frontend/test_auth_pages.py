import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'name="password"' in page.content and b"csrfmiddlewaretoken" in page.content


@pytest.mark.django_db
def test_login_shows_only_the_users_projects_and_logout_ends_the_session(client, project, project_key, team):
    from projects.services import add_member, create_project, ensure_default_team

    user = get_user_model().objects.create_user("ada", password="s3cret-pass-word")
    add_member(team, user)
    other_team = ensure_default_team("Other")
    hidden, hidden_key = create_project(other_team, "Secret project")

    response = client.post(reverse("login"), {"username": "ada", "password": "s3cret-pass-word"})
    assert response.status_code == 302
    home = client.get("/")
    assert project_key.dsn.encode() in home.content
    assert b"Secret project" not in home.content and hidden_key.dsn.encode() not in home.content

    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused(client, team):
    get_user_model().objects.create_user("ada", password="s3cret-pass-word")
    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
