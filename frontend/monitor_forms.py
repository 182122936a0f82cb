"""The forms that create or change a cron monitor (its schedule checked by monitors.schedule, the same rules as a
check-in's monitor_config; its slug free in the project) or an uptime check."""

import re

from django import forms

from monitors import http_check
from monitors.models import Monitor, UptimeCheck
from monitors.schedule import INTERVAL_UNITS, Schedule, ScheduleError
from monitors.uptime import parse_statuses
from projects import outbound as guard

MAX_HEADERS = 20
HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")
HEADER_VALUE = re.compile(r"[\x20-\x7e]{0,1000}")  # printable ASCII: no line breaks to add headers with


class MonitorForm(forms.ModelForm):
    class Meta:
        model = Monitor
        fields = [
            "name",
            "slug",
            "schedule_type",
            "crontab",
            "interval_value",
            "interval_unit",
            "timezone",
            "checkin_margin_minutes",
            "max_runtime_minutes",
            "failure_threshold",
            "recovery_threshold",
            "environment",
        ]
        labels = {
            "crontab": "Crontab",
            "interval_value": "Every",
            "interval_unit": "Unit",
            "timezone": "Time zone",
            "checkin_margin_minutes": "Check-in margin (minutes)",
            "max_runtime_minutes": "Maximum runtime (minutes)",
            "failure_threshold": "Failures in a row before an incident (K)",
            "recovery_threshold": "Successes in a row that end it (R)",
            "environment": "Only check-ins of this environment (empty: any)",
        }
        help_texts = {
            "crontab": "Five fields, e.g. 30 2 * * * (02:30 every day, in the time zone below).",
            "timezone": "An IANA name such as Europe/Vienna; daylight saving time is followed as cron does.",
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["interval_unit"].choices = [("", "—")] + [(unit, unit) for unit in INTERVAL_UNITS]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = Monitor.objects.filter(project=self.project, slug=slug).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Another monitor of this project has this slug.")
        return slug

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("schedule_type")
        if kind is None or self.errors:
            return cleaned
        try:
            schedule = Schedule(
                kind,
                crontab=cleaned.get("crontab") or "",
                interval_value=cleaned.get("interval_value") or 0,
                interval_unit=cleaned.get("interval_unit") or "",
                timezone=cleaned.get("timezone") or "",
            )
        except ScheduleError as error:
            field = {"crontab": "crontab", "interval": "interval_value"}.get(kind, "schedule_type")
            if "time zone" in str(error):
                field = "timezone"
            elif "unit" in str(error):
                field = "interval_unit"
            self.add_error(field, str(error))
            return cleaned
        # Only the fields of the chosen kind are kept.
        cleaned["crontab"] = schedule.crontab if kind == "crontab" else ""
        cleaned["interval_value"] = schedule.interval_value if kind == "interval" else None
        cleaned["interval_unit"] = schedule.interval_unit if kind == "interval" else ""
        return cleaned


class UptimeCheckForm(forms.ModelForm):
    """An uptime check: its URL must be one the checks may reach (the guard's answer, now), its statuses a list of
    codes and ranges, its headers a JSON object of text."""

    request_headers = forms.JSONField(required=False, label="Request headers (a JSON object)")

    class Meta:
        model = UptimeCheck
        fields = [
            "name",
            "url",
            "method",
            "request_headers",
            "request_body",
            "expected_statuses",
            "keyword",
            "keyword_mode",
            "timeout_seconds",
            "interval_seconds",
            "follow_redirects",
            "certificate_expiry_days",
            "failure_threshold",
            "recovery_threshold",
            "environment",
        ]
        labels = {
            "url": "URL",
            "request_body": "Request body (POST only)",
            "expected_statuses": "Expected status codes",
            "keyword_mode": "The keyword",
            "timeout_seconds": "Timeout (seconds)",
            "interval_seconds": "Interval (seconds, 30 to 86400)",
            "certificate_expiry_days": "Fail this many days before the certificate expires",
            "failure_threshold": "Failures in a row before an incident (K)",
            "recovery_threshold": "Successes in a row that end it (R)",
            "environment": "Environment of its incidents (optional)",
        }
        help_texts = {"expected_statuses": "Codes and ranges, e.g. 200-299 or 200,301."}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            http_check.check_url(url)
        except (guard.InvalidURL, guard.Refused, guard.Unresolvable) as error:
            raise forms.ValidationError(str(error)) from None
        return url

    def clean_expected_statuses(self):
        try:
            parse_statuses(self.cleaned_data["expected_statuses"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return self.cleaned_data["expected_statuses"].replace(" ", "")

    def clean_request_headers(self):
        headers = self.cleaned_data.get("request_headers") or {}
        if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
            raise forms.ValidationError(f"a JSON object of at most {MAX_HEADERS} headers")
        for name, value in headers.items():
            if not isinstance(value, str) or not HEADER_NAME.fullmatch(name) or not HEADER_VALUE.fullmatch(value):
                raise forms.ValidationError(f"header {name!r}: a name of letters, digits and '-', a value of text")
        return headers

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("keyword_mode") and not cleaned.get("keyword"):
            self.add_error("keyword", "Enter the keyword to look for.")
        return cleaned
