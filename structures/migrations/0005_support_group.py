"""The « Support » group: the structures.support permission and the admin permissions support uses."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Support"
# (model, actions) in the structures app. No deletion: structures, services and bank details are
# deactivated, memberships detached, through the services (history and e-mails kept).
PERMISSIONS = [
    ("structure", ["support", "view_structure", "add_structure", "change_structure"]),
    ("service", ["view_service", "add_service", "change_service"]),
    ("bankaccount", ["view_bankaccount", "add_bankaccount", "change_bankaccount"]),
    ("membership", ["view_membership", "change_membership"]),
    ("engagementjuridique", ["view_engagementjuridique"]),
]


def create_support_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate): create them now.
    app_config = apps.get_app_config("structures")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    codenames = [codename for _model, codenames in PERMISSIONS for codename in codenames]
    permissions = Permission.objects.filter(content_type__app_label="structures", codename__in=codenames)
    if permissions.count() != len(codenames):
        raise RuntimeError("structures permissions missing for the Support group")
    group.permissions.add(*permissions)


def delete_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("structures", "0004_support_permission"),
    ]

    operations = [migrations.RunPython(create_support_group, delete_support_group)]
