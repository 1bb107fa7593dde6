"""The Moderators group, with least privilege (issue 11).

Moderators work disputes, keep the deny-list and review gaming flags (and see the score a
dispute is about). They get no permission on users, tokens, OAuth apps, authenticators,
signal rows, handle keys, consent rows or the audit log: the tests in tests/admin check the
exact set. Members join it only through `manage.py grant_staff EMAIL --moderator`.
"""

from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("moderation", "dispute", "view"),
    ("moderation", "dispute", "change"),
    ("moderation", "deniedtopic", "view"),
    ("moderation", "deniedtopic", "add"),
    ("moderation", "deniedtopic", "delete"),
    ("scoring", "gamingflag", "view"),
    ("scoring", "score", "view"),
]


def create(apps, schema_editor):
    # Permissions are made after migrations run (post_migrate); make them now, so a fresh
    # database gets the group complete in one `migrate`.
    from django.contrib.auth.management import create_permissions

    for label in ("moderation", "scoring"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    group_fill(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def group_fill(Group, Permission):
    """Create the group with exactly its permissions. Also used by the tests' `mod` fixture,
    because a transactional test's flush empties the tables this migration filled."""
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [
        Permission.objects.get(
            content_type__app_label=app, content_type__model=model, codename=f"{verb}_{model}"
        )
        for app, model, verb in PERMISSIONS
    ]
    group.permissions.set(wanted)


def drop(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("scoring", "0010_models_moved_out"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create, drop)]
