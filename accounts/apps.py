from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Comptes utilisateurs"


class ChorusAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (accounts/admin_site.py)."""

    default = False
    default_site = "accounts.admin_site.ChorusAdminSite"
