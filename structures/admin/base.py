"""What the structures admin pages share: support-only access, saves through the services, read-only inlines."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from structures import access
from structures.forms import add_service_errors


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


class ServiceSavedAdmin(SupportOnlyAdmin):
    """Add and change pages whose save goes through the structures services.

    While the form is validated, ``service_check(request, form, obj)`` asks the services' checks
    (the same functions the services apply), so that a refusal is shown next to its field and
    nothing is written; ``save_model`` then calls ``service_create(request, form)`` or
    ``service_update(request, obj, changed)``, which apply the rules again in their transaction,
    write the history and send the e-mails. Inlines of these models are read-only.
    """

    def service_check(self, request, form, obj) -> None:
        """Raise the services' ValidationError for ``form.cleaned_data`` (may normalise it)."""

    def service_create(self, request, form):
        raise NotImplementedError

    def service_update(self, request, obj, changed: dict):
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        modeladmin = self

        class ServiceCheckedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    try:
                        modeladmin.service_check(request, self, obj)
                    except ValidationError as exc:
                        add_service_errors(self, exc)
                return cleaned

        ServiceCheckedForm.__name__ = form_class.__name__
        return ServiceCheckedForm

    def save_model(self, request, obj, form, change):
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            self.service_update(request, obj, changed)
            return
        created = self.service_create(request, form)
        # The admin goes on with ``obj`` (history entry, messages, redirect): make it the new row.
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db


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
