from django.db import migrations, models


def drop_check_ins(apps, schema_editor):
    # Check-ins were kept in the inbox with no reader; they are now counted and dropped at ingest.
    apps.get_model("issues", "InboxItem").objects.filter(item_type="check_in").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0010_inbox_claim"),
    ]

    operations = [
        migrations.RunPython(drop_check_ins, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="inboxitem",
            name="item_type",
            field=models.CharField(choices=[("event", "Event")], default="event", max_length=16),
        ),
    ]
