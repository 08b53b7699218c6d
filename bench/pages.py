"""The pages the benchmark loads, one per line: (name, URL path, who, what it is).

``who``: ``anonyme``, ``fournisseur`` (the gestionnaire of the supplier owning the largest share
of the invoices), ``agent`` (the agent of the recipient receiving the largest share), ``admin``
(a super-administrator). Placeholders filled from the generated data: ``{invoice}`` (an invoice
of the big supplier, sent to the big recipient), ``{identifier}`` (its identifier),
``{number}`` (its number), ``{supplier_siret}``. Add a page by adding a line; the first two are
the trivial views every rate is compared with (their names must stay).
"""

PAGES = [
    ("trivial-anonyme", "/sante/vie/", "anonyme", "vue triviale anonyme (aucune requête SQL)"),
    ("trivial-connecte", "/mon-compte/session/", "fournisseur", "vue triviale connectée (session et utilisateur)"),
    ("accueil-fournisseur", "/accueil/", "fournisseur", "Accueil connecté (fournisseur : attentes, fil, actualités)"),
    ("accueil-agent", "/accueil/", "agent", "Accueil connecté (agent : factures reçues à traiter)"),
    ("factures-emises", "/factures/", "fournisseur", "Factures émises, 1re page"),
    ("factures-onglet", "/factures/?onglet=envoyees", "fournisseur", "Factures émises, onglet « envoyées »"),
    ("factures-page-profonde", "/factures/?page=800", "fournisseur", "Factures émises, page 800"),
    ("facture", "/factures/{invoice}/", "fournisseur", "page d'une facture"),
    ("admin-factures", "/admin/invoices/invoice/", "agent", "administration : factures reçues (agent)"),
    (
        "admin-factures-statut",
        "/admin/invoices/invoice/?statut=MISE_A_DISPOSITION",
        "agent",
        "administration : filtre par statut",
    ),
    (
        "admin-recherche-identifiant",
        "/admin/invoices/invoice/?q={identifier}",
        "agent",
        "administration : recherche exacte d'un identifiant",
    ),
    (
        "admin-recherche-numero",
        "/admin/invoices/invoice/?q={number}",
        "agent",
        "administration : recherche d'un numéro",
    ),
    ("admin-factures-superadmin", "/admin/invoices/invoice/", "admin", "administration : toutes les factures"),
]
