import json
from io import StringIO

import pytest
from django.core.management import call_command

from issues.models import InboxItem


@pytest.mark.django_db(transaction=True)
def test_status_json_reports_services_and_pending_events(project):
    InboxItem.objects.create(project=project, event_id="0" * 32, payload=b"{}")
    out = StringIO()
    call_command("status", "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["healthy"] is True
    assert set(status["services"]) == {"database", "cache", "channel_layer", "broker"}
    assert all(service["ok"] for service in status["services"].values())
    row = next(row for row in status["projects"] if row["project_id"] == project.id)
    assert (row["events"], row["issues"], row["pending"]) == (0, 0, 1)


@pytest.mark.django_db
def test_status_exits_1_when_a_service_is_down(monkeypatch):
    from config import health

    def broken():
        raise ConnectionError("refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("status", "--json", stdout=out)
    assert exit_info.value.code == 1
    status = json.loads(out.getvalue())
    assert status["healthy"] is False
    assert status["services"]["cache"] == {"ok": False, "detail": "ConnectionError: refused"}
