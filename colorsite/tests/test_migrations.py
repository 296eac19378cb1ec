"""Migrations a rolling deploy would break are caught (issue #35). During an Elastic Beanstalk
deployment the web leader migrates while the old version still serves from the other
instances, and every worker runs the old code until the worker environment is deployed: a new
migration must leave the schema usable by the previous release. So, in a migration that no
release has applied yet (not in colorsite/released_migrations.txt):

- no RemoveField, DeleteModel, RenameField, RenameModel or AlterModelTable (the old code still
  reads and writes those names): drop or rename in a later release, once no code uses them;
- no AddField of a NOT NULL column without a database default (``db_default``): the old code's
  INSERTs do not name it; a Python ``default`` is not enough, the old code does not have it;
- no AlterField to NOT NULL without a ``db_default``, for the same reason;
- no RunSQL or RunPython unless the migration says why it is safe.

A migration that is safe anyway says why in a class attribute ``rolling_deploy_safe = "..."``.
"""

from pathlib import Path

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("gallery", "api", "colorize", "colorsite", "research")
BREAKING = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterModelTable,
)
CODE = (migrations.RunSQL, migrations.RunPython)


def released():
    lines = (ROOT / "colorsite" / "released_migrations.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _not_null_without_db_default(field):
    from django.db.models import NOT_PROVIDED

    return not field.null and getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED and not field.many_to_many


def problems(migration):
    """Why ``migration`` would break the previous release running beside it (empty: it would not)."""
    if getattr(migration, "rolling_deploy_safe", ""):
        return []
    found = []
    for operation in migration.operations:
        name = type(operation).__name__
        if isinstance(operation, BREAKING):
            found.append(f"{name} (the previous release still uses the old name)")
        elif isinstance(operation, CODE):
            found.append(f"{name} (say why it is safe: rolling_deploy_safe)")
        elif isinstance(operation, migrations.AddField) and _not_null_without_db_default(operation.field):
            found.append(f"AddField {operation.name}: NOT NULL without db_default (the old code's INSERTs fail)")
        elif isinstance(operation, migrations.AlterField) and _not_null_without_db_default(operation.field):
            found.append(f"AlterField {operation.name}: NOT NULL without db_default (the old code's INSERTs may fail)")
    return found


def unreleased_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    done = released()
    return {
        f"{app}.{name}": migration
        for (app, name), migration in loader.disk_migrations.items()
        if app in PROJECT_APPS and f"{app}.{name}" not in done
    }


def test_no_unreleased_migration_breaks_the_release_running_beside_it():
    found = {label: why for label, migration in unreleased_migrations().items() if (why := problems(migration))}
    assert found == {}


def test_every_released_migration_exists():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert released() <= {f"{app}.{name}" for app, name in loader.disk_migrations}


def test_the_check_catches_a_dropped_column_and_a_not_null_column_without_a_database_default():
    from django.db import models

    class Breaking(migrations.Migration):
        operations = [
            migrations.RemoveField("colorizationjob", "caption"),
            migrations.AddField("colorizationjob", "owner", models.CharField(max_length=8, default="x")),
            migrations.AddField("colorizationjob", "note", models.TextField(null=True)),
            migrations.AddField("colorizationjob", "kind", models.CharField(max_length=8, db_default="a")),
        ]

    found = problems(Breaking("0099_breaking", "gallery"))
    assert found == [
        "RemoveField (the previous release still uses the old name)",
        "AddField owner: NOT NULL without db_default (the old code's INSERTs fail)",
    ]
