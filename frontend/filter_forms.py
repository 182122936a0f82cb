"""The inbound filter form. What a filter may hold is decided in issues (inbound_filters.clean_pattern), for this
form and the API alike; the form reads the page's fields and places the error beside the pattern."""

from django import forms

from issues.inbound_filters import FORM_KIND_CHOICES, FilterError, clean_pattern


class FilterForm(forms.Form):
    kind = forms.ChoiceField(choices=FORM_KIND_CHOICES, label="Drop events by")
    pattern = forms.CharField(
        max_length=250,
        required=False,
        help_text="Globs: * any text, ? one character, the whole value must match (a tag: key:value-glob; an "
        "address: 10.0.0.5 or 10.0.0.0/8). Crawlers, localhost and health checks need none.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def clean(self):
        data = super().clean()
        if "kind" in data and "pattern" in data:
            try:
                data["pattern"] = clean_pattern(data["kind"], data["pattern"])
            except FilterError as error:
                self.add_error("pattern", str(error))
        return data
