"""The canonical data model: fields of each table, their kind and recognised column names.

Loaders map a file's columns onto these names (``io.guess_mapping``); the app's mapping
step shows the same fields with their French and English descriptions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["TABLES", "Field", "fields_of", "normalise_header"]


@dataclass(frozen=True)
class Field:
    """One canonical column.

    Attributes
    ----------
    name : str
        Canonical column name used everywhere in the package.
    kind : str
        How values are parsed: ``"id"``, ``"date"``, ``"amount"``, ``"share"``, ``"month"``,
        ``"cost_kind"`` or ``"text"``.
    required : bool
        Whether the table is unusable without it.
    synonyms : tuple of str
        Column names recognised automatically, best first (compared after
        ``normalise_header``).
    label_en, label_fr : str
        What the column holds, for the mapping step and error messages.
    """

    name: str
    kind: str
    required: bool
    synonyms: tuple[str, ...]
    label_en: str
    label_fr: str


_CUSTOMER_ID_SYNONYMS = (
    "customer_id",
    "customer id",
    "code client",
    "n° client",
    "no client",
    "num client",
    "numéro client",
    "numero de client",
    "id client",
    "identifiant client",
    "référence client",
    "ref client",
    "code tiers",
    "compte client",
    "customer number",
    "customer code",
    "account id",
    "customer",
    "client",
    "tiers",
)

TABLES: dict[str, tuple[Field, ...]] = {
    "transactions": (
        Field("customer_id", "id", True, _CUSTOMER_ID_SYNONYMS, "Customer id", "Code client"),
        Field(
            "date",
            "date",
            True,
            (
                "date",
                "date facture",
                "date de facture",
                "date pièce",
                "date de pièce",
                "date commande",
                "date de commande",
                "date vente",
                "date de vente",
                "date livraison",
                "invoice date",
                "order date",
                "transaction date",
                "sale date",
            ),
            "Invoice or order date",
            "Date de facture ou de commande",
        ),
        Field(
            "amount",
            "amount",
            True,
            (
                "amount",
                "montant ht",
                "montant net ht",
                "ca ht",
                "total ht",
                "montant",
                "montant net",
                "ca",
                "chiffre d'affaires",
                "chiffre d'affaires ht",
                "ca net",
                "net amount",
                "net sales",
                "net revenue",
                "revenue",
                "sales",
                "valeur ht",
            ),
            "Net revenue excl. VAT (negative for returns)",
            "Chiffre d'affaires HT (négatif pour les avoirs)",
        ),
        Field(
            "order_id",
            "text",
            False,
            (
                "order_id",
                "order id",
                "n° facture",
                "no facture",
                "numéro facture",
                "numéro de facture",
                "facture",
                "n° commande",
                "numéro de commande",
                "commande",
                "n° pièce",
                "pièce",
                "invoice",
                "invoice number",
                "invoice id",
                "order number",
                "order",
            ),
            "Order or invoice number",
            "N° de facture ou de commande",
        ),
        Field(
            "margin",
            "amount",
            False,
            ("margin", "marge", "marge brute", "marge ht", "gross margin", "marge commerciale"),
            "Gross margin",
            "Marge brute",
        ),
        Field(
            "product",
            "text",
            False,
            (
                "product",
                "produit",
                "famille",
                "famille produit",
                "famille de produits",
                "gamme",
                "article",
                "product family",
                "category",
                "catégorie",
            ),
            "Product or product family",
            "Produit ou famille de produits",
        ),
        Field(
            "channel",
            "text",
            False,
            ("channel", "canal", "canal de vente", "sales channel", "canal de distribution"),
            "Sales channel",
            "Canal de vente",
        ),
    ),
    "customers": (
        Field("customer_id", "id", True, _CUSTOMER_ID_SYNONYMS, "Customer id", "Code client"),
        Field(
            "name",
            "text",
            False,
            (
                "name",
                "customer name",
                "nom",
                "nom client",
                "nom du client",
                "raison sociale",
                "société",
                "company",
                "company name",
            ),
            "Customer name",
            "Nom du client",
        ),
        Field(
            "sales_rep",
            "text",
            False,
            (
                "sales_rep",
                "sales rep",
                "commercial",
                "commercial attitré",
                "vendeur",
                "représentant",
                "chargé de clientèle",
                "chargé d'affaires",
                "account manager",
                "salesperson",
                "rep",
            ),
            "Sales rep",
            "Commercial",
        ),
        Field(
            "segment",
            "text",
            False,
            (
                "segment",
                "segment client",
                "typologie",
                "type client",
                "type de client",
                "catégorie client",
                "secteur d'activité",
                "industry",
            ),
            "Customer segment",
            "Segment client",
        ),
        Field(
            "region",
            "text",
            False,
            ("region", "région", "zone", "territoire", "territory", "secteur géographique"),
            "Region",
            "Région",
        ),
        Field(
            "acquisition_date",
            "date",
            False,
            (
                "acquisition_date",
                "acquisition date",
                "date d'acquisition",
                "date de création",
                "date création",
                "client depuis",
                "date ouverture",
                "date d'ouverture du compte",
                "customer since",
                "created",
                "creation date",
            ),
            "Date the customer was won",
            "Date d'acquisition du client",
        ),
        Field(
            "acquisition_channel",
            "text",
            False,
            (
                "acquisition_channel",
                "acquisition channel",
                "canal d'acquisition",
                "canal acquisition",
                "origine",
                "origine client",
                "source",
                "lead source",
            ),
            "Channel that won the customer",
            "Canal d'acquisition",
        ),
        Field(
            "potential",
            "amount",
            False,
            (
                "potential",
                "potentiel",
                "potentiel annuel",
                "potentiel ca",
                "potentiel de ca",
                "annual potential",
                "yearly potential",
                "revenue potential",
            ),
            "Yearly revenue potential",
            "Potentiel de CA annuel",
        ),
        Field(
            "relationship_quality",
            "share",
            False,
            (
                "relationship_quality",
                "relationship quality",
                "qualité relation",
                "qualité de la relation",
                "qualité relationnelle",
                "satisfaction",
            ),
            "Relationship quality (0 to 1)",
            "Qualité de la relation (0 à 1)",
        ),
        Field(
            "headcount",
            "amount",
            False,
            (
                "headcount",
                "effectif",
                "effectifs",
                "nombre de salariés",
                "nb salariés",
                "salariés",
                "employees",
                "number of employees",
            ),  # fmt: skip
            "Headcount of the customer (text 002's potential estimate)",
            "Effectif du client (estimation du potentiel, texte 002)",
        ),
    ),
    "costs": (
        Field(
            "period",
            "month",
            True,
            ("period", "période", "mois", "month", "date"),
            "Month",
            "Mois",
        ),
        Field(
            "kind",
            "cost_kind",
            True,
            ("kind", "type", "type de coût", "nature", "cost type", "catégorie"),
            "Acquisition or retention",
            "Acquisition ou fidélisation",
        ),
        Field(
            "amount",
            "amount",
            True,
            ("amount", "montant", "montant ht", "coût", "cout", "dépense", "cost", "spend"),
            "Amount spent",
            "Montant dépensé",
        ),
        Field(
            "channel",
            "text",
            False,
            ("channel", "canal", "canal d'acquisition", "source"),
            "Channel",
            "Canal",
        ),
    ),
}


def fields_of(table: str) -> tuple[Field, ...]:
    """The fields of ``table`` ('transactions', 'customers' or 'costs')."""
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(TABLES)}") from None


def normalise_header(header: object) -> str:
    """Compare column names loosely: case, accents, spaces, punctuation and 'N°' ignored.

    Examples
    --------
    >>> normalise_header(" N° Client ")
    'nclient'
    >>> normalise_header("Montant_HT")
    'montantht'
    """
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    text = text.lower().replace("n°", "n").replace("nº", "n")
    return re.sub(r"[^a-z0-9]", "", text)
