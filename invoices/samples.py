"""Sample invoices as PDF files: a text PDF such as a supplier's software prints, and a Factur-X
PDF (EN 16931 CII XML embedded by the factur-x library). The demo data writes them for people to
try the deposit; the tests build their files from them.
"""

from dataclasses import dataclass, field
from datetime import date
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

    def totals(self):
        ht = self.total_ht or f"{sum(Decimal(b) for _, b, _ in self.vat):.2f}"
        tva = self.total_tva or f"{sum(Decimal(a) for _, _, a in self.vat):.2f}"
        ttc = self.total_ttc or f"{Decimal(ht) + Decimal(tva):.2f}"
        return ht, tva, ttc


def cii_xml(data: CiiData | None = None, **overrides) -> bytes:
    """A Factur-X EN 16931 CII XML (enough for the portal's reading, not a complete invoice)."""
    data = data or CiiData(**overrides)
    ht, tva, ttc = data.totals()
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
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{data.number}</ram:ID>
    <ram:TypeCode>{data.type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{data.issue_date:%Y%m%d}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      {buyer_ref}
      <ram:SellerTradeParty>
        <ram:Name>{data.seller_name}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{data.seller_siret}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{data.buyer_name}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">{data.buyer_siret}</ram:ID></ram:SpecifiedLegalOrganization>
      </ram:BuyerTradeParty>
      {order}
      {contract}
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>{data.payment_means_code}</ram:TypeCode></ram:SpecifiedTradeSettlementPaymentMeans>
      {taxes}
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
