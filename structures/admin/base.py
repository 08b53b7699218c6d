"""What the structures admin pages share: support-only access and read-only inlines."""

from django.contrib import admin

from structures import access


class SupportOnlyAdmin(admin.ModelAdmin):
    """Pages for support only: the model permissions are asked on top of the support rule."""

    def has_module_permission(self, request):
        return access.is_support(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return access.is_support(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return access.is_support(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return access.is_support(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return access.is_support(request.user) and super().has_delete_permission(request, obj)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
