from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "invoices"
    verbose_name = "Factures"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from invoices import figures_cache
        from invoices.models import LatePaymentRate

        # The late-payment interest in every supplier's figures depends on these rates.
        post_save.connect(figures_cache.rates_changed, sender=LatePaymentRate, dispatch_uid="figures-rates-saved")
        post_delete.connect(figures_cache.rates_changed, sender=LatePaymentRate, dispatch_uid="figures-rates-deleted")
