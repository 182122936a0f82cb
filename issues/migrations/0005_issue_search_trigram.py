"""A trigram index for free-text issue search, on PostgreSQL only (SQLite has no such index and keeps scanning).

Free-text words are matched with `LIKE '%WORD%'` against the issue's search document (issues/search.py,
`search_document`); a pg_trgm GIN index on that same expression lets PostgreSQL find the matches without reading
every issue. The expression is written out here, not imported, so that this migration always builds the index it
was written for; a test checks that searches use it.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import OrderBy, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Collate, Concat, Upper
from django.db.models.indexes import IndexExpression

INDEX_NAME = "issue_search_trigram"


def _index() -> GinIndex:
    document = Upper(
        Concat(
            "title",
            Value("\x1f"),
            "culprit",
            Value("\x1f"),
            Coalesce(KeyTextTransform("value", "metadata"), Value(""), output_field=TextField()),
            output_field=TextField(),
        ),
        output_field=TextField(),
    )
    return GinIndex(OpClass(document, name="gin_trgm_ops"), name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Django places an operator class after the parenthesised expression only once django.contrib.postgres has
    # registered it as a wrapper (which that app does when installed; this project does not install it).
    previous = IndexExpression.wrapper_classes
    IndexExpression.register_wrappers(OrderBy, OpClass, Collate)
    try:
        schema_editor.add_index(apps.get_model("issues", "Issue"), _index())
    finally:
        IndexExpression.register_wrappers(*previous)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX_NAME}"')


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0004_issue_tag_by_value"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on other databases
        migrations.RunPython(add_index, remove_index),
    ]
