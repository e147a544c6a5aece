"""The two groups the panel's permissions are handed out through: "Mail viewers" and "Mail admins".

Until this migration every staff account could use the whole panel; those accounts join
"Mail admins" so that an upgrade locks nobody out. Superusers need no group.
"""

from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

PERMISSIONS = {
    "view_mailserver": "Can view the mail server pages",
    "change_mailserver": "Can change the mail server (save, start/stop, restore)",
}
GROUPS = {"Mail viewers": ("view_mailserver",), "Mail admins": ("view_mailserver", "change_mailserver")}
# Change rows are written only by the panel: nobody can be granted adding, changing or deleting them.
STALE = ("add_change", "change_change", "delete_change")


def create_groups(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    db = schema_editor.connection.alias
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group")
    user = apps.get_model(settings.AUTH_USER_MODEL)

    # Django creates permissions only after all migrations ran; the groups need them now.
    panel, _ = content_type.objects.using(db).get_or_create(app_label="core", model="panel")
    perms = {
        codename: permission.objects.using(db).get_or_create(
            content_type=panel, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    }
    for name, codenames in GROUPS.items():
        created, _ = group.objects.using(db).get_or_create(name=name)
        created.permissions.add(*(perms[codename] for codename in codenames))

    admins = group.objects.using(db).get(name="Mail admins")
    for staff in user.objects.using(db).filter(is_staff=True, is_superuser=False):
        staff.groups.add(admins)

    permission.objects.using(db).filter(
        content_type__app_label="core", content_type__model="change", codename__in=STALE
    ).delete()


def remove_groups(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    db = schema_editor.connection.alias
    apps.get_model("auth", "Group").objects.using(db).filter(name__in=GROUPS).delete()
    apps.get_model("auth", "Permission").objects.using(db).filter(
        content_type__app_label="core", content_type__model="panel", codename__in=PERMISSIONS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_permissions_and_restores"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
