"""The forms of the alerts pages. What a rule or a channel may hold is decided in notify (rule_config,
channel_config), for these forms and the API alike; the forms only read the page's fields and place the errors."""

import re

from django import forms
from django.core.exceptions import ValidationError

from frontend import access
from issues.normalize import LEVELS
from notify import channel_config, rule_config
from notify.models import AlertRule, Channel

RULE_FIELDS = (
    "triggers",
    "threshold",
    "window_minutes",
    "environments",
    "min_level",
    "release_glob",
    "tag_glob",
    "logger_glob",
    "platform",
    "action_interval_minutes",
)
# What clean_rule is given for a field that failed on its own (its error is shown already).
FALLBACK = {"triggers": [], "environments": "", "action_interval_minutes": rule_config.DEFAULT_ACTION_INTERVAL_MINUTES}
TRIGGER_GROUP = {"triggers", "threshold", "window_minutes"}
SEPARATORS = re.compile(r"[\s,;]+")


def split_list(text: str) -> list[str]:
    """Several values typed in one field, separated by commas, semicolons, spaces or line breaks."""
    return [value for value in SEPARATORS.split(text) if value]


def place_errors(form: forms.Form, error: ValidationError, skip: set[str] = frozenset()) -> None:
    """Put notify's field errors beside the form's fields of the same name (the rest above the form)."""
    for field, messages in error.message_dict.items():
        if field not in skip:
            form.add_error(field if field in form.fields else None, messages)


class ChannelChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, channel):
        return channel.name

    def _check_values(self, value):
        # An id the database cannot compare (past 64 bits, say) is simply not one of the project's channels.
        for pk in value:
            if access.parse_id(str(pk)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class RuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    triggers = forms.MultipleChoiceField(
        choices=AlertRule.Trigger.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,  # rule_config says what is missing, in the same words as the API
        label="When",
    )
    threshold = forms.IntegerField(
        required=False, label="N", help_text="For a frequency trigger: alert when more than N happen…"
    )
    window_minutes = forms.IntegerField(
        required=False, label="M (minutes)", help_text="…within M minutes: 1 to 1440 (a day)."
    )
    environments = forms.CharField(
        required=False,
        max_length=2000,
        label="Environments",
        help_text="Any of these, separated by commas; empty: any environment.",
    )
    min_level = forms.ChoiceField(
        choices=[("", "Any level"), *((level, f"{level} or worse") for level in LEVELS)],
        required=False,
        label="Level",
    )
    release_glob = forms.CharField(required=False, max_length=rule_config.MAX_GLOB_LENGTH, label="Release")
    tag_glob = forms.CharField(
        required=False,
        max_length=rule_config.MAX_GLOB_LENGTH,
        label="Tag",
        help_text="key:value, e.g. browser:Firefox*",
    )
    logger_glob = forms.CharField(required=False, max_length=rule_config.MAX_GLOB_LENGTH, label="Logger")
    platform = forms.CharField(required=False, max_length=rule_config.MAX_PLATFORM_LENGTH, label="Platform")
    action_interval_minutes = forms.IntegerField(
        initial=rule_config.DEFAULT_ACTION_INTERVAL_MINUTES,
        label="At most once per (minutes)",
        help_text="An issue alerts this rule at most once in this many minutes.",
    )
    channels = ChannelChoice(
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one channel.",
            "invalid_choice": "%(value)s is not a channel of this project.",
            "invalid_pk_value": "“%(pk)s” is not a channel of this project.",
        },
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, project, rule: AlertRule | None = None, **kwargs):
        if rule is not None:
            kwargs["initial"] = {
                "name": rule.name,
                **{name: getattr(rule, name) for name in RULE_FIELDS},
                "environments": ", ".join(rule.environments),
                "channels": list(rule.channels.values_list("pk", flat=True)),
                "is_active": rule.is_active,
            }
        super().__init__(*args, **kwargs)
        # Only the project's own channels can be chosen: any other id is "not a channel of this project".
        self.fields["channels"].queryset = project.alert_channels.order_by("name", "id")
        self.fields["is_active"].widget.attrs["role"] = "switch"
        for name in ("release_glob", "logger_glob"):
            self.fields[name].help_text = "* matches any text, ? one character"

    def clean(self):
        data = super().clean()
        values = {name: data.get(name, FALLBACK.get(name)) for name in RULE_FIELDS}
        values["environments"] = split_list(values["environments"] or "")
        try:
            data.update(rule_config.clean_rule(values))
        except ValidationError as error:
            # A field that failed on its own keeps its own error; the triggers and their N and M are judged
            # together, so when one of them failed the others wait until it is fixed.
            failed = set(self.errors)
            waiting = failed | (TRIGGER_GROUP if failed & TRIGGER_GROUP else set())
            place_errors(self, error, skip=waiting)
        return data

    def save(self, rule: AlertRule) -> AlertRule:
        data = self.cleaned_data
        rule.name = data["name"]
        rule.is_active = data["is_active"]
        for name in RULE_FIELDS:
            setattr(rule, name, data[name])
        rule.save()
        rule.channels.set(data["channels"])
        return rule


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Channel.Kind.choices)
    url = forms.CharField(
        required=False,
        max_length=2000,
        label="URL",
        help_text="The incoming webhook URL that Slack or Discord gives, or your endpoint.",
    )
    to = forms.ChoiceField(
        choices=[("team", "The members of the project's teams"), ("addresses", "These addresses")],
        required=False,
        initial="team",
        widget=forms.RadioSelect,
        label="Send email to",
        help_text="Members can turn off a project's email alerts on their account page.",
    )
    addresses = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Addresses",
        help_text="One per line, or separated by commas.",
    )
    urls = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Apprise URLs",
        help_text="One per line (staff only).",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, user, channel: Channel | None = None, **kwargs):
        self.user = user
        self.channel = channel
        if channel is not None:
            config = channel.config if isinstance(channel.config, dict) else {}
            kwargs["initial"] = {
                "name": channel.name,
                "kind": channel.kind,
                "url": config.get("url", ""),
                "to": config.get("to", "team"),
                "addresses": "\n".join(config.get("addresses") or []),
                "urls": "\n".join(config.get("urls") or []),
                "is_active": channel.is_active,
            }
        super().__init__(*args, **kwargs)
        self.fields["is_active"].widget.attrs["role"] = "switch"
        if channel is not None:
            # A channel keeps its kind: its deliveries and its rules were made for it.
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = "A channel keeps its kind; make a new channel for another."
        if not user.is_staff:
            self.fields["kind"].choices = [
                (value, f"{label} (staff only)" if value in channel_config.STAFF_ONLY_KINDS else label)
                for value, label in Channel.Kind.choices
            ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None:
            return data
        if kind in channel_config.STAFF_ONLY_KINDS and not self.user.is_staff:
            self.add_error("kind", "Only staff can set up this kind: it reaches hosts beyond the address checks.")
            return data
        if kind == Channel.Kind.EMAIL:
            raw = {"to": data.get("to") or ""}
            if raw["to"] == "addresses":
                raw["addresses"] = split_list(data.get("addresses") or "")
        elif kind == Channel.Kind.APPRISE:
            raw = {"urls": [line.strip() for line in (data.get("urls") or "").splitlines() if line.strip()]}
        else:
            raw = {"url": data.get("url") or ""}
        try:
            data["config"] = channel_config.clean_config(kind, raw)
        except ValidationError as error:
            place_errors(self, error)
        return data

    def save(self, channel: Channel) -> Channel:
        channel.name = self.cleaned_data["name"]
        channel.kind = self.cleaned_data["kind"]
        channel.config = self.cleaned_data["config"]
        channel.is_active = self.cleaned_data["is_active"]
        channel.save()
        return channel


class EmailForm(forms.Form):
    email = forms.EmailField(
        required=False, max_length=254, label="Email address", help_text="Email alerts go to this address."
    )
