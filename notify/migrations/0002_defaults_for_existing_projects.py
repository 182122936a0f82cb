from django.db import migrations

# The same defaults as notify/defaults.py, written out: a migration must not depend on today's code.
DEFAULT_CHANNEL_NAME = "Team email"
DEFAULT_RULE_NAME = "New issues and regressions"


def add_defaults(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    Channel = apps.get_model("notify", "Channel")
    AlertRule = apps.get_model("notify", "AlertRule")
    for project in Project.objects.all():
        channel = Channel.objects.create(
            project=project, name=DEFAULT_CHANNEL_NAME, kind="email", config={"to": "team"}
        )
        rule = AlertRule.objects.create(project=project, name=DEFAULT_RULE_NAME, triggers=["new_issue", "regression"])
        rule.channels.add(channel)


def history_is_not_news(apps, schema_editor):
    # Transitions from before alerts existed are history: mark them handled, or the first sweep would alert on
    # every issue of the last day at once.
    IssueTransition = apps.get_model("issues", "IssueTransition")
    HandledTransition = apps.get_model("notify", "HandledTransition")
    ids = IssueTransition.objects.filter(kind__in=["new", "regressed", "escalated"]).values_list("id", flat=True)
    HandledTransition.objects.bulk_create(
        (HandledTransition(transition_id=transition_id) for transition_id in ids.iterator()), batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_initial"),
        ("projects", "0002_ingest_outcome"),
        ("issues", "0012_minute_counts_and_transition_time"),
    ]

    operations = [
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
        migrations.RunPython(history_is_not_news, migrations.RunPython.noop),
    ]
