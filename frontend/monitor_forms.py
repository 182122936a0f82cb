"""The form that creates or changes a monitor: its schedule is checked by monitors.schedule (the same rules as a
check-in's monitor_config), and its slug must be free in the project."""

from django import forms

from monitors.models import Monitor
from monitors.schedule import INTERVAL_UNITS, Schedule, ScheduleError


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
