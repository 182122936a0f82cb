import django.db.models.deletion
from django.db import migrations, models


def keep_payloads_inline(apps, schema_editor):
    # Postgres: event payloads are already zstd-compressed, so no second compression (EXTERNAL), and rows up to
    # a page stay in the table instead of being split into a TOAST table (two more inserts per event).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE issues_event ALTER COLUMN payload SET STORAGE EXTERNAL")
        schema_editor.execute("ALTER TABLE issues_event SET (toast_tuple_target = 8160)")


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0002_users_sketch"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="issue",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="issues.issue",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="project",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="projects.project"
            ),
        ),
        migrations.RunPython(keep_payloads_inline, migrations.RunPython.noop, elidable=True),
    ]
