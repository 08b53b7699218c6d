"""Write ``docs/benchmarks.md`` from ``bench/results/*.json`` (every labelled run) and
``bench/fixes.md`` (the causes found and the fixes, written by hand)."""

import json
from pathlib import Path

TARGETS_TEXT = {
    "transitions": "≥ 250 transitions/s par les workers, ≥ 75 % de la tâche nue UPDATE+INSERT",
    "deposits": "≥ 50 dépôts/s de bout en bout (envoi + mise à disposition), saisies comprises : pages "
    "(PDF, saisie, moitié-moitié) et API (`deposer/flux`)",
    "import": "≥ 20 000 lignes/s, mémoire constante",
    "pages": "pages de l'espace ≥ 50 % de la vue triviale connectée, p95 ≤ 200 ms à 50 connexions",
    "admin": "liste des factures de l'administration ≥ 10 % de la vue triviale connectée",
}
# The label whose figures fill the main tables (the code as it is now), and the order of the
# others in the before/after table.
CURRENT = "apres"


def fmt(value, digits=0) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def ok(flag: bool | None) -> str:
    return "–" if flag is None else ("oui" if flag else "**non**")


def trivial(pages: list[dict], name: str, c: int) -> float | None:
    for row in pages:
        if row["name"] == name and row["c"] == c and "rps" in row:
            return row["rps"]
    return None


def page_verdicts(pages: list[dict]) -> tuple[bool | None, bool | None]:
    workspace = admin = None
    for row in pages:
        if "rps" not in row or row["name"].startswith("trivial"):
            continue
        base = trivial(pages, "trivial-connecte", row["c"])
        if not base:
            continue
        if row["who"] == "fournisseur":
            good = row["rps"] >= 0.5 * base and (row["c"] != 50 or row["p95"] <= 200)
            workspace = good if workspace is None else workspace and good
        elif row["name"].startswith("admin"):
            good = row["rps"] >= 0.10 * base
            admin = good if admin is None else admin and good
    return workspace, admin


def cpu_cell(row: dict, names: tuple[str, ...]) -> str:
    """Processor milliseconds per request or invoice (``bench/cpu.py``), as ``a / b / c``."""
    spent = row.get("cpu_ms")
    if not spent:
        return "–"
    return " / ".join(fmt(spent.get(name), 1) for name in names)


def section_pages(run: dict) -> list[str]:
    pages = run.get("pages") or []
    if not pages:
        return ["Pas de mesure des pages dans cette exécution."]
    out = [
        "| page | chemin | connexions | req/s | p50 (ms) | p95 (ms) | p99 (ms) | / triviale anonyme | / triviale connectée "
        "| requêtes SQL | processeur par requête : web / PostgreSQL / machine (ms) | erreurs |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in pages:
        if "rps" not in row:
            out.append(f"| {row['label']} | `{row['path']}` | {row['c']} | réponse {row['status']} | | | | | | | | |")
            continue
        anon = trivial(pages, "trivial-anonyme", row["c"])
        logged = trivial(pages, "trivial-connecte", row["c"])
        out.append(
            f"| {row['label']} | `{row['path']}` | {row['c']} | {fmt(row['rps'], 1)} | {fmt(row['p50'], 1)} | "
            f"{fmt(row['p95'], 1)} | {fmt(row['p99'], 1)} | {fmt(100 * row['rps'] / anon, 1) + ' %' if anon else '–'} | "
            f"{fmt(100 * row['rps'] / logged, 1) + ' %' if logged else '–'} | {fmt(row.get('queries'))} "
            f"| {cpu_cell(row, ('web', 'postgres', 'machine'))} "
            f"| {row['errors']} |"
        )
    return out


def section_deposits(run: dict) -> list[str]:
    rows = run.get("deposits") or []
    if not rows:
        return ["Pas de mesure des dépôts dans cette exécution."]
    names = {
        "pdf": "PDF déposé, complété puis envoyé",
        "typed": "facture saisie puis envoyée",
        "mixed": "moitié-moitié",
        "api": "API : flux CII déposé par `deposer/flux` (un appel)",
    }
    out = [
        "| parcours | clients | envoyées | erreurs | envoyées/s | de bout en bout/s | envoi p50 / p95 / p99 (ms) "
        "| acheminement p50 / p95 (ms) | processeur par facture : web / workers / PostgreSQL / clients / machine (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {names.get(r['mode'], r['mode'])} | {r['clients']} | {r['sent']} | {r['errors']} | {fmt(r['sent_per_s'], 1)} | "
            f"{fmt(r['end_to_end_per_s'], 1)} | {fmt(r['p50'])} / {fmt(r['p95'])} / {fmt(r['p99'])} | "
            f"{fmt(r['routing_p50'])} / {fmt(r['routing_p95'])} | "
            f"{cpu_cell(r, ('web', 'workers', 'postgres', 'clients', 'machine'))} |"
        )
    return out


def section_transitions(run: dict) -> list[str]:
    r = run.get("transitions")
    if not r:
        return ["Pas de mesure des traitements dans cette exécution."]
    return [
        "| mesure | valeur |",
        "|---|---:|",
        f"| demandes de traitement (lots de {fmt(r['batch'])}) | {fmt(r['requests'])} |",
        f"| appliquées (statut + historique) /s | {fmt(r['applied_per_s'])} |",
        f"| notifiées /s | {fmt(r['notified_per_s'])} |",
        f"| e-mails envoyés ({fmt(r['emails'])}) : de bout en bout /s | {fmt(r['mailed_per_s'])} |",
        f"| tâche nue UPDATE+INSERT /s, mêmes workers | {fmt(r['bare_per_s'])} |",
        f"| rapport appliquées / tâche nue | {fmt(100 * r['ratio'])} % |",
        f"| refusées | {fmt(r['refused'])} |",
    ]


def section_import(run: dict) -> list[str]:
    data = run.get("import")
    if not data:
        return ["Pas de mesure de l'import dans cette exécution."]
    out = ["| import | lignes | secondes | lignes/s | RSS max (Mo) |", "|---|---:|---:|---:|---:|"]
    for r in data["runs"]:
        out.append(
            f"| {r['label']} | {fmt(r['lines'])} | {fmt(r['seconds'], 1)} | {fmt(r['rps'])} | {fmt(r['rss_mb'])} |"
        )
    return out


def verdicts(run: dict) -> list[tuple[str, str, bool | None]]:
    t = run.get("transitions")
    deposits = {r["mode"]: r for r in run.get("deposits") or []}
    imp = run.get("import")
    workspace, admin = page_verdicts(run.get("pages") or [])
    first_import = imp["runs"][0] if imp else None
    return [
        (
            TARGETS_TEXT["transitions"],
            f"{fmt(t['applied_per_s'])}/s, {fmt(100 * t['ratio'])} %" if t else "–",
            (t["applied_per_s"] >= 250 and t["ratio"] >= 0.75) if t else None,
        ),
        (
            TARGETS_TEXT["deposits"],
            " ; ".join(
                f"{m} {fmt(r['end_to_end_per_s'], 1)}/s"
                + (f" ({ceiling(r, run.get('machine', {}).get('cores'))})" if r.get("cpu_ms") else "")
                for m, r in deposits.items()
            )
            or "–",
            all(r["end_to_end_per_s"] >= 50 and not r["errors"] for r in deposits.values()) if deposits else None,
        ),
        (
            TARGETS_TEXT["import"],
            f"{fmt(first_import['rps'])} lignes/s, {fmt(imp['rss_mb'])} Mo" if imp else "–",
            first_import["rps"] >= 20_000 if imp else None,
        ),
        (TARGETS_TEXT["pages"], worst_page(run, lambda row: row["who"] == "fournisseur"), workspace),
        (TARGETS_TEXT["admin"], worst_page(run, lambda row: row["name"].startswith("admin")), admin),
    ]


def ceiling(row: dict, cores) -> str:
    """What the processor allows at this cost: (cores × 1,000 ms) / (machine ms per unit)."""
    machine = (row.get("cpu_ms") or {}).get("machine")
    if not machine or not cores:
        return ""
    return f"{fmt(machine)} ms de processeur chacune, plafond {fmt(cores * 1000 / machine)}/s"


def worst_page(run: dict, chosen) -> str:
    """The lowest ratio to the trivial logged-in view among the chosen pages, with its processor
    cost beside the trivial view's: the cause of a gap in one line."""
    pages = run.get("pages") or []
    worst = None
    for row in pages:
        if "rps" not in row or row["name"].startswith("trivial") or not chosen(row):
            continue
        base = trivial(pages, "trivial-connecte", row["c"])
        if base and (worst is None or row["rps"] / base < worst[0]):
            worst = (row["rps"] / base, row)
    if worst is None:
        return "–"
    ratio, row = worst
    text = f"la plus lente : {row['label']}, c={row['c']}, {fmt(100 * ratio, 1)} % (p95 {fmt(row['p95'])} ms)"
    base_row = next((r for r in pages if r["name"] == "trivial-connecte" and r["c"] == row["c"]), None)
    cost, base_cost = (row.get("cpu_ms") or {}).get("machine"), ((base_row or {}).get("cpu_ms") or {}).get("machine")
    if cost and base_cost:
        text += f" ; {fmt(cost, 1)} ms de processeur par requête contre {fmt(base_cost, 1)} pour la vue triviale"
    return text


def key_figures(run: dict) -> dict[str, str]:
    figures = {}
    for row in run.get("pages") or []:
        if "rps" in row:
            figures[f"{row['label']}, c={row['c']} (req/s ; p95 ms)"] = f"{fmt(row['rps'], 1)} ; {fmt(row['p95'])}"
    for r in run.get("deposits") or []:
        figures[f"dépôts {r['mode']} de bout en bout /s"] = fmt(r["end_to_end_per_s"], 1)
    if run.get("transitions"):
        t = run["transitions"]
        figures["transitions appliquées /s (tâche nue /s)"] = f"{fmt(t['applied_per_s'])} ({fmt(t['bare_per_s'])})"
        figures["transitions avec e-mails /s"] = fmt(t["mailed_per_s"])
    if run.get("import"):
        figures["import, 1er passage, lignes/s"] = fmt(run["import"]["runs"][0]["rps"])
    return figures


def write_report(results_dir: Path, report: Path) -> None:
    runs = {p.stem: json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))}
    current = runs.get(CURRENT) or (next(iter(runs.values())) if runs else None)
    lines = [
        "# Banc d'essai à l'échelle nationale (`make bench`)",
        "",
        "Ce fichier est **écrit par `make bench`** (`bench/run.py`, `bench/report.py`) : ne le modifiez pas à la",
        "main, relancez la commande. Les causes trouvées et les corrections viennent de `bench/fixes.md`.",
        "",
    ]
    if current is None:
        report.write_text("\n".join([*lines, "Aucune mesure encore : lancez `make bench`.", ""]))
        return
    m = current.get("machine", {})
    lines += [
        f"## Exécution « {current['label']} » du {current['date']}",
        "",
        f"- Machine : {m.get('cpu', '?')}, {m.get('cores', '?')} cœurs, {fmt(m.get('memory_gb'), 1)} Go ; "
        f"charge moyenne à la fin : {', '.join(fmt(x, 2) for x in m.get('load', []))} ; {m.get('os', '?')}",
        f"- Versions : Python {m.get('python')}, Django {m.get('django')}, Celery {m.get('celery')}, "
        f"PostgreSQL {m.get('postgres')}, {m.get('redis')}, {m.get('wrk')}, {m.get('gunicorn')}",
        f"- Commande : `{current['command']}` ; {fmt(current['size'])} factures ; gunicorn {current['workers']} "
        f"processus *sync* ; worker Celery {current['celery_concurrency']} processus (prefork) ; "
        f"{fmt(current['duration'])} s par mesure",
        "- Réglages : `chorus.settings.base` (ceux de la production, HTTPS désactivé), PostgreSQL et Redis locaux,",
        "  e-mails écrits en fichiers `.eml` par le worker"
        + (
            f" ; limite de l'API relevée à {fmt(current['api_rate_limit'])} appels par minute et par application "
            f"(`API_RATE_LIMIT_PER_MINUTE`, 120 par défaut : un intégrateur reçoit un quota à sa mesure)."
            if current.get("api_rate_limit")
            else "."
        ),
        "",
        "La machine peut être partagée : comparez les **rapports** aux vues triviales mesurées dans la même",
        "exécution plutôt que les valeurs absolues.",
        "",
        "## Objectifs",
        "",
        "| objectif | mesuré | atteint |",
        "|---|---|---|",
    ]
    for target, measured, flag in verdicts(current):
        lines.append(f"| {target} | {measured} | {ok(flag)} |")
    gaps = Path(__file__).with_name("gaps.md")
    if gaps.exists():
        lines += ["", gaps.read_text().strip()]
    lines += [
        "",
        "## Pages (wrk, une connexion par requête avec les workers *sync*)",
        "",
        "« Requêtes SQL » : celles d'un affichage de la page, ses caches chauds comme sous la charge.",
        "« Processeur par requête » : le temps de processeur des processus gunicorn, de PostgreSQL et de toute",
        "la machine (wrk compris) pendant la mesure, divisé par le nombre de requêtes servies (`bench/cpu.py`).",
        f"Avec {current.get('machine', {}).get('cores', '?')} cœurs, une page ne peut dépasser "
        "(cœurs × 1 000) / (ms machine) requêtes par seconde : c'est ce chiffre qui explique un écart.",
        "",
        *section_pages(current),
    ]
    lines += ["", "## Dépôts (10 clients, processus séparés)", "", *section_deposits(current)]
    lines += ["", "## Traitements du personnel par les workers", "", *section_transitions(current)]
    lines += ["", "## Import de l'annuaire", "", *section_import(current)]
    if len(runs) > 1:
        labels = list(runs)
        keys: list[str] = []
        per_label = {label: key_figures(run) for label, run in runs.items()}
        for figures in per_label.values():
            keys += [k for k in figures if k not in keys]
        lines += [
            "",
            "## Avant / après",
            "",
            "Chaque colonne est une exécution (`bench/results/<nom>.json`), sur la même machine sauf mention.",
            "",
            "| mesure | " + " | ".join(f"{label} ({runs[label]['date'][:10]})" for label in labels) + " |",
            "|---|" + "---:|" * len(labels),
        ]
        for key in keys:
            lines.append(f"| {key} | " + " | ".join(per_label[label].get(key, "–") for label in labels) + " |")
    fixes = Path(__file__).with_name("fixes.md")
    if fixes.exists():
        lines += ["", fixes.read_text().strip()]
    report.write_text("\n".join(lines) + "\n")
