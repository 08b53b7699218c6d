"""A user's own and group permissions read in one query, for ``ModelBackend`` (issue 9).

Every admin page asks for the user's permissions (the menu of the applications, then each model's
``has_*_permission``): ``ModelBackend`` (and allauth's backend, the same class) reads them once per
request, in two queries built by the ORM (the user's own, then their groups'), and keeps them on
the user object of the request. ``read_permissions(user)`` reads the same rows (``app_label`` and
``codename`` of the permissions given to the user, then of those given to the user's groups) in one
``UNION ALL`` of SQL prepared once, and keeps them where ``ModelBackend`` looks for them
(``_user_perm_cache``, ``_group_perm_cache``): its own reading is then skipped. The admin site
calls it before the menu (``ChorusAdminSite.each_context``). Nothing is kept beyond the request:
a permission or a group taken away applies on the next page.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

_SQL: list[str] = []


def _sql() -> str:
    if not _SQL:
        user_model = get_user_model()
        own = user_model._meta.get_field("user_permissions")
        groups = user_model._meta.get_field("groups")
        of_group = Group._meta.get_field("permissions")

        def select(source: str) -> str:  # table and column names of the models, no user input
            permission, content_type = Permission._meta.db_table, ContentType._meta.db_table
            return (
                f'SELECT \'{source}\', ct."app_label", p."codename" FROM "{permission}" p '  # noqa: S608
                f'INNER JOIN "{content_type}" ct ON ct."id" = p."content_type_id" '
            )

        _SQL.append(
            select("user")
            + f'INNER JOIN "{own.m2m_db_table()}" up ON up."{own.m2m_reverse_name()}" = p."id" '
            + f'WHERE up."{own.m2m_column_name()}" = %s '
            + "UNION ALL "
            + select("group")
            + f'INNER JOIN "{of_group.m2m_db_table()}" gp ON gp."{of_group.m2m_reverse_name()}" = p."id" '
            + f'INNER JOIN "{groups.m2m_db_table()}" ug ON ug."{groups.m2m_reverse_name()}" = gp."{of_group.m2m_column_name()}" '
            + f'WHERE ug."{groups.m2m_column_name()}" = %s'
        )
    return _SQL[0]


def read_permissions(user) -> None:
    """The user's own and group permissions, kept on the user object as ``ModelBackend`` keeps
    them; nothing for a superuser (every permission, never read for the menu), an inactive or
    anonymous user, or permissions already read."""
    if (
        not user.is_active
        or user.is_anonymous
        or user.is_superuser
        or hasattr(user, "_perm_cache")
        or hasattr(user, "_user_perm_cache")
        or hasattr(user, "_group_perm_cache")
    ):
        return
    found = {"user": set(), "group": set()}
    with connections[router.db_for_read(Permission)].cursor() as cursor:
        cursor.execute(_sql(), [user.pk, user.pk])
        for source, app_label, codename in cursor.fetchall():
            found[source].add(f"{app_label}.{codename}")
    user._user_perm_cache = found["user"]
    user._group_perm_cache = found["group"]
