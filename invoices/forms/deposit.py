"""The PDF of an invoice: its deposit (file, signed or not, cadre) and its replacement in a draft;
the batch deposit of a zip of invoice files."""

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus import formats
from invoices.models import Cadre

FORMAT_UNSIGNED = "PDF"
FORMAT_SIGNED = "PDF_SIGNE"


class DepositForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier de la facture"),
        help_text=_("PDF (un Factur-X est lu automatiquement) ou XML (UBL 2.1, UN/CEFACT CII), 10 Mo au maximum."),
        error_messages={
            "required": _("Choisissez le fichier PDF de la facture."),
            "empty": _("Le fichier est vide : choisissez le fichier de la facture."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf,application/xml,text/xml,.xml"}),
    )
    pdf_format = forms.ChoiceField(
        label=_("Format du fichier"),
        choices=[(FORMAT_UNSIGNED, _("PDF non signé")), (FORMAT_SIGNED, _("PDF signé"))],
        initial=FORMAT_UNSIGNED,
        help_text=_("Pour un PDF seulement (un fichier XML n'est pas signé ici)."),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le format du fichier.")},
    )
    cadre = forms.ChoiceField(label=_("Cadre de facturation"), choices=Cadre.choices, initial=Cadre.A1)

    def __init__(self, *args, max_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if max_size:
            self.fields["file"].help_text = _(
                "PDF (un Factur-X est lu automatiquement) ou XML (UBL 2.1, UN/CEFACT CII), %(size)s au maximum."
            ) % {"size": formats.filesize(max_size)}


class ReplacePdfForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier PDF corrigé de la facture"),
        error_messages={
            "required": _("Choisissez le fichier PDF de la facture."),
            "empty": _("Le fichier est vide : choisissez le fichier de la facture."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class CheckForm(forms.Form):
    """« Vérifier ma facture »: one Factur-X PDF or XML file."""

    file = forms.FileField(
        label=_("Fichier de la facture"),
        error_messages={
            "required": _("Choisissez le fichier de la facture à vérifier."),
            "empty": _("Le fichier est vide : choisissez le fichier de la facture."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf,application/xml,text/xml,.xml"}),
    )

    def __init__(self, *args, max_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF Factur-X (ou ZUGFeRD 2) ou XML (UBL 2.1, UN/CEFACT CII), %(size)s au maximum."
        ) % {"size": formats.filesize(max_size or 0)}


class BatchDepositForm(forms.Form):
    file = forms.FileField(
        label=_("Archive zip des factures"),
        error_messages={
            "required": _("Choisissez l'archive zip de vos factures."),
            "empty": _("Le fichier est vide : choisissez l'archive zip de vos factures."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip,application/x-zip-compressed"}),
    )
    cadre = forms.ChoiceField(
        label=_("Cadre de facturation"),
        choices=Cadre.choices,
        initial=Cadre.A1,
        help_text=_("Pour chaque facture qui ne l'indique pas elle-même (BT-23 d'un Factur-X ou d'un XML)."),
    )

    def __init__(self, *args, max_size: int, max_files: int, max_file_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Un fichier .zip de %(size)s au plus, contenant jusqu'à %(files)s factures : PDF (Factur-X ou non) et "
            "XML (UBL 2.1, UN/CEFACT CII), %(file_size)s au plus chacune."
        ) % {
            "size": formats.filesize(max_size),
            "files": formats.integer(max_files),
            "file_size": formats.filesize(max_file_size),
        }
