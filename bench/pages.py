"""The pages the benchmark loads, one per line: (name, URL path, who, what it is).

``who``: ``anonyme``, ``fournisseur`` (the gestionnaire of the supplier owning the largest share
of the invoices), ``agent`` (the agent of the recipient receiving the largest share), ``admin``
(a super-administrator). Placeholders filled from the generated data: ``{invoice}`` (an invoice
of the big supplier, sent to the big recipient), ``{identifier}`` (its identifier),
``{number}`` (its number), ``{supplier_siret}``, ``{deep_cursor}`` (the keyset cursor of the
big supplier's 16,000th invoice in the default order, i.e. page 800 of 20 rows: the Rechercher tab
reads pages by cursor, never by offset), ``{recipient_name}`` (the big recipient's name). Add a page by adding a line; the first two are
the trivial views every rate is compared with (their names must stay).
"""

PAGES = [
    ("trivial-anonyme", "/sante/vie/", "anonyme", "vue triviale anonyme (aucune requête SQL)"),
    ("trivial-connecte", "/mon-compte/session/", "fournisseur", "vue triviale connectée (session et utilisateur)"),
    ("accueil-fournisseur", "/accueil/", "fournisseur", "Accueil connecté (fournisseur : attentes, fil, actualités)"),
    ("accueil-agent", "/accueil/", "agent", "Accueil connecté (agent : factures reçues à traiter)"),
    ("synthese", "/factures/synthese/", "fournisseur", "Factures émises : Synthèse"),
    ("factures-emises", "/factures/", "fournisseur", "Rechercher, 1re page"),
    ("factures-onglet", "/factures/?onglet=envoyees", "fournisseur", "Rechercher, factures envoyées"),
    ("factures-page-profonde", "/factures/?apres={deep_cursor}", "fournisseur", "Rechercher, page 800"),
    (
        "recherche-criteres",
        "/factures/?statut=MISE_A_DISPOSITION&statut=SUSPENDUE&montant_min=100&tri=-montant",
        "fournisseur",
        "Rechercher : deux statuts, montant minimal, tri par montant",
    ),
    (
        "recherche-destinataire",
        "/factures/?destinataire={recipient_name}&destinataire_etat=etat",
        "fournisseur",
        "Rechercher : par raison sociale du destinataire (État)",
    ),
    ("en-retard", "/factures/?en_retard=on", "fournisseur", "Rechercher : factures en retard de paiement"),
    ("archives", "/factures/archives/", "fournisseur", "Archives, 1re page"),
    ("tableau-de-bord", "/factures/tableau-de-bord/", "fournisseur", "Tableau de bord"),
    ("liste-fiscale", "/factures/liste-fiscale/", "fournisseur", "Liste fiscale, période par défaut"),
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
