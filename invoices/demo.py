"""Demo files for `make run`: three invoices to try the deposit, written under var/demo/.

- a Factur-X PDF from the demo supplier to the Ministère de l'Intérieur (code service SE001,
  EJ 1300012346): the form opens filled with every value of its XML;
- a text PDF to the Préfecture de la Loire, whose values are read from the text; the préfecture
  requires a code service, which the user chooses (SE011).
- a UBL 2.1 XML file to the Commune de Saint-Exemple (lines at 20 % and 5,5 %): the portal reads
  it, makes its PDF and the form shows its data read-only.
All are dated today, so they can be sent as they are (once: a second sending is a duplicate).
"""

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from invoices import samples
from structures import demo as structures_demo

PREFECTURE_SIRET = "11107919000018"
COMMUNE_SIRET = "11123757400012"


def write_files() -> list[Path]:
    directory = Path(settings.VAR_DIR) / "demo"
    directory.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    facturx = samples.facturx_pdf(
        base=samples.text_pdf(
            [
                "Fournitures Démo SARL",
                "Facture n° FX-DEMO-0001 (Factur-X)",
                f"Date : {today:%d/%m/%Y}",
                "Ramettes de papier recyclé : 100 x 8,40 € HT",
                "Total HT : 840,00 € - TVA 20 % : 168,00 € - Total TTC : 1 008,00 €",
            ]
        ),
        number="FX-DEMO-0001",
        issue_date=today,
        seller_siret=structures_demo.SUPPLIER_SIRET,
        seller_name=structures_demo.SUPPLIER["name"],
        buyer_siret=structures_demo.MINISTRY_SIRET,
        buyer_name="Ministère de l'Intérieur (démonstration)",
        buyer_reference="SE001",
        order_reference="1300012346",
        vat=[("20.00", "840.00", "168.00")],
    )
    text = samples.invoice_text_pdf(
        number="PDF-DEMO-0001",
        invoice_date=f"{today:%d/%m/%Y}",
        supplier_siret=structures_demo.SUPPLIER_SIRET,
        recipient_siret=PREFECTURE_SIRET,
        ht="1 250,00",
        tva="250,00",
        ttc="1 500,00",
    )
    ubl = samples.generated_xml(
        syntax="ubl",
        number="UBL-DEMO-0001",
        issue_date=today,
        seller={
            "name": structures_demo.SUPPLIER["name"],
            "legal_identifier": structures_demo.SUPPLIER_SIRET,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        buyer={
            "name": "Commune de Saint-Exemple",
            "legal_identifier": COMMUNE_SIRET,
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        lines=[
            ("Entretien des espaces verts", "12", "85.00", "20.00"),
            ("Ouvrages pour la médiathèque", "20", "24.50", "5.50"),
        ],
    )
    paths = [
        directory / "facture-facturx-ministere.pdf",
        directory / "facture-pdf-prefecture.pdf",
        directory / "facture-ubl-commune.xml",
    ]
    for path, content in zip(paths, (facturx, text, ubl), strict=True):
        path.write_bytes(content)
    return paths
