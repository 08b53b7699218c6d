"""Sample invoices as files: a text PDF such as a supplier's software prints, a Factur-X PDF
(CII XML embedded by the factur-x library), and structured invoices made by the factur-x library
itself (``generated_xml``: CII or UBL 2.1, any profile it produces). The demo data writes some for
people to try the deposit; the tests build their files from them.
"""

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import facturx
from fpdf import FPDF


def text_pdf(lines: list[str] | None = None, *, pages: int = 1) -> bytes:
    """A real text PDF (core font, latin-1 text)."""
    lines = lines if lines is not None else ["Facture de test"]
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"  # has the euro sign
    pdf.set_font("helvetica", size=11)
    for _ in range(pages):
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def invoice_text_pdf(
    *,
    number: str = "F-2026-001",
    invoice_date: str = "15/01/2026",
    supplier_siret: str = "",
    recipient_siret: str = "",
    ht: str = "1 000,00",
    tva: str = "200,00",
    ttc: str = "1 200,00",
) -> bytes:
    lines = [
        "ENTREPRISE EXEMPLE SAS",
        f"SIRET : {supplier_siret}" if supplier_siret else "",
        f"Facture n° {number}",
        f"Date : {invoice_date}",
        f"Destinataire : SIRET {recipient_siret}" if recipient_siret else "",
        "Prestation de conseil",
        f"Total HT : {ht} €",
        f"Total TVA : {tva} €",
        f"Total TTC : {ttc} €",
    ]
    return text_pdf([line for line in lines if line])


@dataclass
class CiiData:
    number: str = "FX-2026-0001"
    issue_date: date = date(2026, 1, 15)
    type_code: str = "380"
    seller_siret: str = "73282932000074"
    seller_name: str = "Entreprise Exemple SAS"
    buyer_siret: str = "11000201100044"
    buyer_name: str = "Ministère de l'exemple"
    buyer_reference: str = ""  # BT-10, code service
    order_reference: str = ""  # BT-13, EJ
    contract_reference: str = ""  # BT-12, numéro de marché
    cadre: str | None = None  # BT-23; None leaves it out
    preceding_invoice: str = ""  # BT-25, for a credit note
    payment_means_code: str = "30"
    vat: list[tuple[str, str, str]] = field(default_factory=lambda: [("20.00", "1000.00", "200.00")])
    total_ht: str | None = None
    total_tva: str | None = None
    total_ttc: str | None = None
    guideline: str = "urn:cen.eu:en16931:2017"  # BT-24: the profile
    iban: str = "FR7630006000011234567890189"  # BT-84, for a credit transfer (BT-81 30)
    seller_vat: str | None = None  # BT-31; None: the French VAT number of the seller's SIREN

    def totals(self):
        ht = self.total_ht or f"{sum(Decimal(b) for _, b, _ in self.vat):.2f}"
        tva = self.total_tva or f"{sum(Decimal(a) for _, _, a in self.vat):.2f}"
        ttc = self.total_ttc or f"{Decimal(ht) + Decimal(tva):.2f}"
        return ht, tva, ttc


def french_vat_number(siren: str) -> str:
    """The French VAT number of a SIREN: FR, the 2-digit key (12 + 3 × (SIREN mod 97)) mod 97, SIREN."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def cii_xml(data: CiiData | None = None, **overrides) -> bytes:
    """A Factur-X EN 16931 CII XML, valid against the XSD and the EN 16931 schematron when its
    amounts are (one line per VAT rate, the seller's VAT number, the buyer's address, an IBAN)."""
    data = data or CiiData(**overrides)
    ht, tva, ttc = data.totals()
    seller_vat = data.seller_vat if data.seller_vat is not None else french_vat_number(data.seller_siret[:9])
    seller_tax = (
        f'<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{seller_vat}</ram:ID></ram:SpecifiedTaxRegistration>'
        if seller_vat
        else ""
    )
    lines = "".join(
        f"""<ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{position}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Prestation au taux de {rate} %</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{abs(Decimal(base)):.2f}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">{-1 if Decimal(base) < 0 else 1}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode>
          <ram:CategoryCode>{"E" if Decimal(rate) == 0 else "S"}</ram:CategoryCode>
          <ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{base}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""
        for position, (rate, base, _amount) in enumerate(data.vat, start=1)
    )
    account = (
        f"<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{data.iban}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>"
        if data.iban and data.payment_means_code in ("30", "58")
        else ""
    )
    process = (
        f"<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>{data.cadre}</ram:ID>"
        "</ram:BusinessProcessSpecifiedDocumentContextParameter>"
        if data.cadre
        else ""
    )
    taxes = "".join(
        f"""<ram:ApplicableTradeTax>
          <ram:CalculatedAmount>{amount}</ram:CalculatedAmount>
          <ram:TypeCode>VAT</ram:TypeCode>
          {"<ram:ExemptionReason>Exonération de TVA, article 261 du CGI</ram:ExemptionReason>" if Decimal(rate) == 0 else ""}
          <ram:BasisAmount>{base}</ram:BasisAmount>
          <ram:CategoryCode>{"E" if Decimal(rate) == 0 else "S"}</ram:CategoryCode>
          <ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>"""
        for rate, base, amount in data.vat
    )
    buyer_ref = f"<ram:BuyerReference>{data.buyer_reference}</ram:BuyerReference>" if data.buyer_reference else ""
    order = (
        f"<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{data.order_reference}</ram:IssuerAssignedID>"
        "</ram:BuyerOrderReferencedDocument>"
        if data.order_reference
        else ""
    )
    contract = (
        f"<ram:ContractReferencedDocument><ram:IssuerAssignedID>{data.contract_reference}</ram:IssuerAssignedID>"
        "</ram:ContractReferencedDocument>"
        if data.contract_reference
        else ""
    )
    preceding = (
        f"<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{data.preceding_invoice}</ram:IssuerAssignedID>"
        "</ram:InvoiceReferencedDocument>"
        if data.preceding_invoice
        else ""
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    {process}
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>{data.guideline}</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{data.number}</ram:ID>
    <ram:TypeCode>{data.type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{data.issue_date:%Y%m%d}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    {lines}
    <ram:ApplicableHeaderTradeAgreement>
      {buyer_ref}
      <ram:SellerTradeParty>
        <ram:Name>{data.seller_name}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{data.seller_siret}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        {seller_tax}
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{data.buyer_name}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">{data.buyer_siret}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
      {order}
      {contract}
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format="102">{data.issue_date:%Y%m%d}</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>{data.payment_means_code}</ram:TypeCode>{account}</ram:SpecifiedTradeSettlementPaymentMeans>
      {taxes}
      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">{data.issue_date + timedelta(days=30):%Y%m%d}</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{ht}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{ht}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{tva}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{ttc}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{ttc}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      {preceding}
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""
    return xml.encode("utf-8")


def facturx_pdf(xml: bytes | None = None, *, base: bytes | None = None, **overrides) -> bytes:
    """A Factur-X PDF made by the factur-x library from an fpdf2 PDF and a CII XML."""
    xml = xml if xml is not None else cii_xml(**overrides)
    base = base or text_pdf(["Facture Factur-X"])
    return facturx.generate_from_binary(base, xml, flavor="factur-x", level="en16931", check_xsd=False)


# --- Structured invoices made by the factur-x library ------------------------------------------

LIBRARY_LEVELS = {"basicwl", "en16931", "extended"}


def structured_data(
    *,
    number: str = "FX-2026-0100",
    issue_date: date = date(2026, 1, 15),
    type_code: str = "380",
    seller: dict | None = None,
    buyer: dict | None = None,
    lines: list[tuple[str, str, str, str]] | None = None,
    buyer_reference: str = "",
    order_reference: str = "",
    preceding_invoice: str = "",
    sign: int = 1,
) -> dict:
    """The factur-x library's ``data_dict`` (keys are EN 16931 business terms) of an invoice whose
    ``lines`` are (designation, quantity, unit price, VAT rate); totals and the VAT breakdown are
    computed from them (``sign=-1`` for a corrective invoice with negative amounts)."""
    lines = lines or [("Prestation", "1", "1000.00", "20.00")]
    bases: dict[str, Decimal] = {}
    items = []
    for position, (name, quantity, price, rate) in enumerate(lines, start=1):
        amount = (Decimal(quantity) * Decimal(price) * sign).quantize(Decimal("0.01"))
        bases[rate] = bases.get(rate, Decimal("0")) + amount
        items.append(
            {
                "BT-126": str(position),
                "BT-129": f"{Decimal(quantity) * sign}",
                "BT-130": "C62",
                "BT-146": price,
                "BT-131": f"{amount:.2f}",
                "BT-151": "E" if Decimal(rate) == 0 else "S",
                "BT-152": rate,
                "BT-153": name,
            }
        )
    breakdown = []
    for rate, base in bases.items():
        entry = {
            "BT-116": f"{base:.2f}",
            "BT-117": f"{(base * Decimal(rate) / 100).quantize(Decimal('0.01')):.2f}",
            "BT-118": "E" if Decimal(rate) == 0 else "S",
            "BT-119": rate,
        }
        if Decimal(rate) == 0:
            entry["BT-120"] = "Exonération de TVA, article 261 du CGI"
        breakdown.append(entry)
    ht = sum(bases.values(), Decimal("0"))
    tva = sum((Decimal(e["BT-117"]) for e in breakdown), Decimal("0"))
    data = {
        "BT-1": number,
        "BT-2": issue_date,
        "BT-3": type_code,
        "BT-5": "EUR",
        "BT-24": "urn:cen.eu:en16931:2017",
        "BT-72": issue_date,
        "BG-4": seller
        or {
            "name": "Entreprise Exemple SAS",
            "legal_identifier": "73282932000074",
            "legal_identifier_schemeid": "0009",
            "vat_identifier": "FR44732829320",
            "country_code": "FR",
            "city": "Paris",
            "postcode": "75001",
            "addr_l1": "1 rue de l'Exemple",
        },
        "BG-7": buyer
        or {
            "name": "Ministère de l'exemple",
            "legal_identifier": "11000201100044",
            "legal_identifier_schemeid": "0009",
            "country_code": "FR",
        },
        "BG-25": items,
        "BG-23": breakdown,
        "BT-106": f"{ht:.2f}",
        "BT-109": f"{ht:.2f}",
        "BT-110": f"{tva:.2f}",
        "BT-112": f"{ht + tva:.2f}",
        "BT-115": f"{ht + tva:.2f}",
    }
    if type_code != "381":
        data["BT-81"] = "30"
        data["BT-84"] = "FR7630006000011234567890189"
        data["BT-9"] = issue_date + timedelta(days=30)
    if buyer_reference:
        data["BT-10"] = buyer_reference
    if order_reference:
        data["BT-13"] = order_reference
    if preceding_invoice:
        data["BG-3"] = [{"BT-25": preceding_invoice}]
    return data


def generated_xml(data: dict | None = None, *, syntax: str = "cii", level: str = "en16931", **overrides) -> bytes:
    """A CII (``syntax="cii"``) or UBL 2.1 (``"ubl"``: Invoice, or CreditNote for a 381) XML made
    and checked against its XSD by the factur-x library; BASIC WL has no lines."""
    data = copy.deepcopy(data or structured_data(**overrides))
    if level == "basicwl":
        data.pop("BG-25", None)
    if syntax == "ubl":
        return facturx.generate_ubl_xml(data, level=level, check_xsd=True, check_schematron=False)
    return facturx.generate_cii_xml(data, level=level, check_xsd=True, check_schematron=False)


def generated_facturx_pdf(
    data: dict | None = None, *, level: str = "en16931", base: bytes | None = None, **overrides
) -> bytes:
    """A Factur-X PDF whose XML is made by the factur-x library (``generated_xml``)."""
    xml = generated_xml(data, syntax="cii", level=level, **overrides)
    base = base or text_pdf(["Facture Factur-X"])
    return facturx.generate_from_binary(base, xml, flavor="factur-x", level=level, check_xsd=True)
