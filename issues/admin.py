from django import forms
from django.contrib import admin

from issues.inbound_filters import FilterError, clean_pattern
from issues.models import InboundFilter


class InboundFilterForm(forms.ModelForm):
    """The admin's form checks a filter as the UI and the API do (issues/inbound_filters.py, clean_pattern)."""

    class Meta:
        model = InboundFilter
        fields = ["project", "kind", "pattern", "is_active"]

    def clean(self):
        data = super().clean()
        if "kind" in data:
            try:
                data["pattern"] = clean_pattern(data["kind"], data.get("pattern", ""))
            except FilterError as error:
                self.add_error("pattern", str(error))
        return data


@admin.register(InboundFilter)
class InboundFilterAdmin(admin.ModelAdmin):
    form = InboundFilterForm
    list_display = ["__str__", "project", "is_active", "updated_at"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["project"]
