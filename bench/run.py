"""``make bench``: the portal at national scale on PostgreSQL, Redis, gunicorn and Celery workers,
measured from separate load processes, and ``docs/benchmarks.md`` written from the figures.

    .venv/bin/python bench/run.py [--size 1000000] [--quick] [--only pages,deposits,transitions,import]
        [--label apres] [--duration 10] [--connections 20,50] [--reuse-data]

Steps (each one in ``--only``, all by default):
- ``data``: drop and create the benchmark database, migrate, generate ``--size`` invoices
  (``bench/datagen.py``, COPY); kept for the next run with ``--reuse-data`` (same size);
- ``pages``: every line of ``bench/pages.py`` under wrk (``bench/report.lua``) at each
  ``--connections``, against gunicorn (``--workers``, sync): requests/s, p50/p95/p99, and the ratio
  to the trivial views of the same run;
- ``deposits``: ``bench/clients.py``, 10 client processes for ``--duration`` seconds per mode, then
  the time until the workers have put each invoice in Mise à disposition. Modes ``pdf`` (a PDF
  deposited on the portal's pages, completed and sent: 5 requests), ``typed`` (an invoice typed and
  sent), ``mixed`` (half each) and ``api`` (a supplier's software: one ``factures/v1/deposer/flux``
  call per invoice, a CII XML of ``invoices.samples.cii_xml`` with a new number each time; each
  client has its own application, token and technical user, created here for its supplier, and the
  flux's invoice, or its rejection, is read from ``ApiFlux``; a warm-up of ``WARM_UP_SECONDS``
  before each mode, not counted, builds the PDF fonts and starts the validation worker of each
  gunicorn process). The API's quota
  (``API_RATE_LIMIT_PER_MINUTE``, 120 per application) is raised to ``BENCH_API_RATE_LIMIT``;
- ``transitions``: 10,000 staff requests (``TransitionRequest``, 10 batches of 1,000 as the admin's
  bulk action makes them) applied by the workers, with their history rows, notifications and
  e-mails; then 10,000 bare UPDATE+INSERT tasks (``bench/tasks.py``) through the same workers;
- ``import``: ``bench/import_annuaire.py`` on a directory file of 200,000 lines, in a database of
  its own.

The figures of the run are written to ``bench/results/<label>.json`` and the report is rebuilt from
every file there (so a ``--label avant`` run on the code before a fix stays beside the current one).
Absolute figures depend on the machine and on what else runs on it: compare the ratios within a
run, and re-run on a quiet machine.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench import cpu  # noqa: E402 - after the path that makes ``bench`` importable

RESULTS = BASE_DIR / "bench" / "results"
REPORT = BASE_DIR / "docs" / "benchmarks.md"
STEPS = ["data", "pages", "deposits", "transitions", "import"]
TRANSITIONS = 10_000
TRANSITION_BATCH = 1_000
DEPOSIT_CLIENTS = 10
# The process groups of the servers (``Services.groups``), for the processor time of each measurement.
CPU_GROUPS: dict[str, int] = {}
CPU_DATABASE: list[str | None] = [None]  # the benchmark database: its backends are PostgreSQL's share
DEPOSIT_MODES = ("pdf", "typed", "mixed", "api")
# The API's quota per application and per minute (120 by default): a real integrator sending
# invoices by the thousand gets a quota of its own; the benchmark measures the portal, not the quota.
BENCH_API_RATE_LIMIT = 1_000_000
WARM_UP_SECONDS = 4.0


def log(message: str) -> None:
    print(message, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--size", type=int, default=None, help="factures générées (1 000 000 par défaut, la taille des objectifs)"
    )
    parser.add_argument("--quick", action="store_true", help="20 000 factures, mesures courtes")
    parser.add_argument("--only", default=",".join(STEPS), help="étapes, séparées par des virgules")
    parser.add_argument("--label", default="apres", help="nom des résultats (bench/results/<label>.json)")
    parser.add_argument("--duration", type=float, default=None, help="secondes par mesure (10 ; 4 en --quick)")
    parser.add_argument("--connections", default="20,50")
    parser.add_argument(
        "--pages", default="", help="noms de bench/pages.py à mesurer, séparés par des virgules (toutes par défaut)"
    )
    parser.add_argument("--workers", type=int, default=4, help="processus gunicorn")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="processus du worker Celery")
    parser.add_argument("--transitions", type=int, default=None, help=f"demandes de traitement ({TRANSITIONS:,})")
    parser.add_argument("--import-lines", type=int, default=None, help="lignes de l'annuaire (200 000)")
    parser.add_argument("--reuse-data", action="store_true", help="garder la base générée si la taille est la même")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8714")))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chorus_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
    parser.add_argument("--report-only", action="store_true", help="réécrire le rapport sans rien mesurer")
    args = parser.parse_args()
    args.size = args.size or (20_000 if args.quick else 1_000_000)
    args.duration = args.duration or (4.0 if args.quick else 10.0)
    args.transitions = args.transitions or (2_000 if args.quick else TRANSITIONS)
    args.import_lines = args.import_lines or (30_000 if args.quick else 200_000)
    args.steps = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        parser.error(f"étapes inconnues : {', '.join(sorted(unknown))} (connues : {', '.join(STEPS)})")
    return args


def portal_env(args, var_dir: Path) -> dict:
    """The environment of every process of the run: production settings, bench services."""
    redis = args.redis_url.rstrip("/")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chorus.settings.base",
        "SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "MFA_REQUIRED_FOR_SUPERUSERS": "false",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{args.port}",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": f"{redis}/12",
        "CELERY_BROKER_URL": f"{redis}/13",
        "CHORUS_VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "EMAIL_OUTBOX_DIR": str(var_dir / "outbox"),
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_PER_MINUTE": str(BENCH_API_RATE_LIMIT),
        "PYTHONPATH": str(BASE_DIR),
    }


def admin_db_url(url: str) -> tuple[dict, str]:
    parsed = urlparse(url)
    params = {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": parsed.username or "postgres",
        "password": parsed.password or "",
        "dbname": "postgres",
    }
    return params, parsed.path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg2

    params, name = admin_db_url(url)
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def database_marker(url: str) -> str:
    import psycopg2

    params, name = admin_db_url(url)
    try:
        conn = psycopg2.connect(**params)
    except psycopg2.Error:
        return ""
    with conn.cursor() as cursor:
        cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
        row = cursor.fetchone()
    conn.close()
    return (row[0] if row else "") or ""


def step_data(args, results: dict) -> None:
    from django.core.management import call_command
    from django.db import connection

    from bench import datagen

    marker = f"chorus-bench size={args.size}"
    if args.reuse_data and database_marker(args.database_url) == marker:
        log(f"Données : base existante gardée ({marker}), migrée")
        call_command("migrate", verbosity=0)  # the code's new migrations, if any
        results.setdefault("data", {"reused": True, "size": args.size})
        return
    log(f"Données : nouvelle base, {args.size:,} factures")
    connection.close()
    recreate_database(args.database_url)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    figures = datagen.generate(args.size, log=log)
    figures["migrate_seconds"] = migrated
    with connection.cursor() as cursor:
        cursor.execute(
            f"COMMENT ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} IS %s", [marker]
        )
    results["data"] = figures


# --- Processes -----------------------------------------------------------------------------


class Services:
    """gunicorn and the Celery worker of the run, each in its own process group; logs in var/."""

    def __init__(self, args, env: dict, var_dir: Path):
        self.args, self.env, self.var_dir = args, env, var_dir
        self.processes: list[subprocess.Popen] = []

    def groups(self) -> dict[str, int]:
        """The process groups whose processor time ``bench/cpu.py`` counts: ``web`` (gunicorn and
        its workers), ``workers`` (the Celery worker and its processes)."""
        return dict(zip(("web", "workers"), (p.pid for p in self.processes), strict=False))

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log_file = open(self.var_dir / f"{name}.log", "w")  # noqa: SIM115 - closed with the run
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def start(self) -> None:
        bin_dir = Path(sys.executable).parent
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=self.env, check=True
        )
        self._start(
            "gunicorn",
            [
                str(bin_dir / "gunicorn"),
                "chorus.wsgi",
                "--workers",
                str(self.args.workers),
                "--bind",
                f"127.0.0.1:{self.args.port}",
                "--backlog",
                "2048",
                "--timeout",
                "60",
            ],
        )
        self._start(
            "celery",
            [
                str(bin_dir / "celery"),
                "-A",
                "chorus",
                "worker",
                "-I",
                "bench.tasks",
                "--concurrency",
                str(self.args.celery_concurrency),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        import requests

        from chorus.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.args.port}/sante/vie/", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn ne répond pas : voir " + str(self.var_dir / "gunicorn.log"))
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError("le worker Celery ne répond pas : voir " + str(self.var_dir / "celery.log"))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.processes = []


# --- Data the scenarios use ----------------------------------------------------------------


def session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def placeholders() -> dict:
    from invoices.models import Invoice
    from structures.models import Structure

    big_supplier = Structure.objects.get(name="Grand Fournisseur du banc SA")
    big_recipient = Structure.objects.get(name="Destinataire public du banc n° 0")
    invoice = (
        Invoice.objects.filter(supplier=big_supplier, recipient=big_recipient, identifier__isnull=False)
        .order_by("-id")
        .first()
    )
    from urllib.parse import quote

    # Page 800 of 20 rows; a --quick base has fewer invoices: its last page then.
    ordered = Invoice.objects.filter(supplier=big_supplier).order_by("-created_at", "-id")
    deep = (
        ordered.values_list("id", "created_at")[15_999:16_000].first() or ordered.values_list("id", "created_at").last()
    )
    return {
        "invoice": invoice.pk,
        "identifier": invoice.identifier,
        "number": invoice.number,
        "supplier_siret": big_supplier.identifier,
        "deep_cursor": quote(f"{deep[0]}~{deep[1].isoformat()}"),
        "recipient_name": quote(big_recipient.name),
    }


def who_cookies() -> dict:
    from accounts.models import User

    return {
        "anonyme": None,
        "fournisseur": session_cookie(User.objects.get(email="fournisseur0@bench.example")),
        "agent": session_cookie(User.objects.get(email="agent0@bench.example")),
        "admin": session_cookie(User.objects.get(email="admin@bench.example")),
    }


# --- Pages ---------------------------------------------------------------------------------


def wrk(url: str, *, connections: int, seconds: float, cookie: str | None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    command += ["-s", str(BASE_DIR / "bench" / "report.lua")]
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


def wait_idle(base: str, timeout: float = 120) -> None:
    """Wait until the server has drained the requests a load left queued (wrk stops sending, the
    sync workers still answer its backlog): the trivial view answers within 100 ms again."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            requests.get(f"{base}/sante/vie/", timeout=timeout)
        except requests.RequestException:
            pass
        if time.monotonic() - started < 0.1:
            return
        time.sleep(0.5)


def query_count(path: str, cookie: str | None) -> int | None:
    """SQL queries of one display of the page, once its caches are warm as under load (Django's
    test client in this process, same database and settings as the servers); None if not a 200."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    if cookie:
        client.cookies["sessionid"] = cookie
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return len(queries.captured_queries) if response.status_code == 200 else None


def check_page(url: str, cookie: str | None) -> int:
    import requests

    cookies = {"sessionid": cookie} if cookie else {}
    return requests.get(url, cookies=cookies, allow_redirects=False, timeout=30).status_code


def step_pages(args, results: dict) -> None:
    from bench.pages import PAGES

    if not shutil.which("wrk"):
        raise SystemExit("wrk est nécessaire pour les pages : apt-get install wrk")
    values = placeholders()
    cookies = who_cookies()
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    for connections in [int(c) for c in args.connections.split(",")]:
        for name, path, who, label in PAGES:
            if args.pages and name not in args.pages.split(",") and not name.startswith("trivial-"):
                continue  # the trivial views are always measured: every rate is compared with them
            url = base + path.format(**values)
            wait_idle(base)
            status = check_page(url, cookies[who])
            if status != 200:
                log(f"  {name} : réponse {status}, page ignorée")
                rows.append(
                    {"name": name, "path": path, "who": who, "label": label, "c": connections, "status": status}
                )
                continue
            wrk(url, connections=connections, seconds=1, cookie=cookies[who])  # warm-up
            before = cpu.snapshot(CPU_GROUPS, database=CPU_DATABASE[0])
            figures = wrk(url, connections=connections, seconds=args.duration, cookie=cookies[who])
            figures["cpu_ms"] = cpu.per_unit(
                cpu.delta(before, cpu.snapshot(CPU_GROUPS, database=CPU_DATABASE[0])), figures["requests"]
            )
            figures["queries"] = query_count(path.format(**values), cookies[who])
            rows.append({"name": name, "path": path, "who": who, "label": label, "c": connections, **figures})
            log(
                f"  {name:<28} c={connections:<3} {figures['rps']:>8.1f} req/s  p50 {figures['p50']:>7.1f} ms  "
                f"p95 {figures['p95']:>7.1f} ms  p99 {figures['p99']:>7.1f} ms  erreurs {figures['errors']}"
            )
    results["pages"] = rows


# --- Deposits ------------------------------------------------------------------------------


def api_template(supplier, recipient) -> bytes:
    """The CII XML (EN 16931, ``invoices.samples.cii_xml``) a supplier's software deposits through
    the API: dated today, to ``recipient``, its invoice number the placeholder that each call of
    ``bench/clients.py`` replaces by a number of its own."""
    from django.utils import timezone

    from bench.clients import NUMBER_PLACEHOLDER
    from invoices import samples

    return samples.cii_xml(
        samples.CiiData(
            number=NUMBER_PLACEHOLDER,
            issue_date=timezone.localdate(),
            seller_siret=supplier.identifier,
            seller_name=supplier.name,
            buyer_siret=recipient.identifier,
            buyer_name=recipient.name,
        )
    )


def api_credentials(supplier, manager) -> dict:
    """An application and a technical user of ``supplier``, created by its gestionnaire through
    the services of the "Accès API" page, and a bearer token of the application."""
    import base64

    from structures.services import api_accounts

    application, _secret = api_accounts.api_application_create(
        structure=supplier, actor=manager, name="Logiciel du banc"
    )
    technical, password = api_accounts.technical_user_create(structure=supplier, actor=manager)
    token, _lifetime = api_accounts.token_issue(application=application)
    return {
        "token": token,
        "cpro_account": base64.b64encode(f"{technical.login}:{password}".encode()).decode("ascii"),
    }


def deposit_clients(var_dir: Path) -> list[dict]:
    from accounts.models import User
    from invoices import samples
    from structures.models import Structure

    recipient = Structure.objects.get(name="Destinataire public du banc n° 3")  # no code service or EJ asked
    clients = []
    for i in range(1, DEPOSIT_CLIENTS + 1):
        user = User.objects.get(email=f"fournisseur{i}@bench.example")
        supplier = user.memberships.get().structure
        # A PDF without structured data: the supplier completes the draft (number, recipient) and
        # sends it. (A Factur-X is sent as its XML says: one file per invoice number.)
        pdf = samples.text_pdf([supplier.name, "Facture du banc", "Total TTC : 1 200,00 EUR"])
        path = var_dir / f"facture-{i}.pdf"
        path.write_bytes(pdf)
        xml = var_dir / f"facture-{i}.xml"
        xml.write_bytes(api_template(supplier, recipient))
        clients.append(
            {
                "sessionid": session_cookie(user),
                "recipient_id": recipient.pk,
                "recipient_siret": recipient.identifier,
                "pdf": str(path),
                "xml": str(xml),
                **api_credentials(supplier, user),
            }
        )
    return clients


def flux_invoices(numbers: list[str]) -> tuple[list[int], list[str]]:
    """The invoices of the flux the API answered (a flux gives one invoice, ``ApiFlux.invoice``),
    and the errors of those it rejected (the portal answers a rejected flux with codeRetour 0, as
    the real one does: its state and errors are read by ``consulterCR``)."""
    from invoices.models import ApiFlux, FluxState

    ids, rejected = [], []
    for start in range(0, len(numbers), 5_000):
        for state, invoice_id, errors in ApiFlux.objects.filter(number__in=numbers[start : start + 5_000]).values_list(
            "state", "invoice_id", "errors"
        ):
            if state == FluxState.INTEGRATED and invoice_id:
                ids.append(invoice_id)
            else:
                rejected.append(f"flux {state} : {'; '.join(e['message'] for e in errors)[:300]}")
    return ids, rejected


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_clients(args, sessions: Path, mode: str, seconds: float, output: Path) -> tuple[dict, list[int]]:
    """``bench/clients.py`` for ``seconds``: its figures, and the ids of the invoices it sent (for
    the API, the invoices of the flux it deposited; a rejected flux is one more error)."""
    subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "bench" / "clients.py"),
            "--base",
            f"http://127.0.0.1:{args.port}",
            "--sessions",
            str(sessions),
            "--seconds",
            str(seconds),
            "--mode",
            mode,
            "--output",
            str(output),
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
    )
    data = json.loads(output.read_text())
    if mode != "api":
        return data, [d["id"] for d in data["done"]]
    ids, rejected = flux_invoices([d["flux"] for d in data["done"]])
    data["errors"] += rejected
    return data, ids


def wait_routed(ids: list[int], timeout: float = 300) -> None:
    from invoices.models import Invoice

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Invoice.objects.filter(pk__in=ids, status__in=["DEPOSEE", "EN_COURS_ACHEMINEMENT"]).exists():
            return
        time.sleep(0.2)


def step_deposits(args, results: dict, var_dir: Path) -> None:
    from invoices.models import Invoice

    wait_idle(f"http://127.0.0.1:{args.port}")
    sessions = var_dir / "sessions.json"
    sessions.write_text(json.dumps(deposit_clients(var_dir)))
    rows = []
    for mode in DEPOSIT_MODES:
        output = var_dir / f"deposits-{mode}.json"
        # Warm-up of each mode, not counted: the first deposit of a kind in each gunicorn process
        # pays once what a server running for days never pays again (the PDF fonts and their
        # common-glyph copy, ~2 s; for the API, the validation worker: Saxon compiles the
        # EN 16931 schematron, ~2 s). Routed before the measure.
        _data, warm = run_clients(args, sessions, mode, WARM_UP_SECONDS, var_dir / f"warm-up-{mode}.json")
        wait_routed(warm)
        started = time.monotonic()
        before = cpu.snapshot(CPU_GROUPS, database=CPU_DATABASE[0])
        clients_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        data, ids = run_clients(args, sessions, mode, args.duration, output)
        wait_routed(ids)
        end_to_end = time.monotonic() - started
        spent = cpu.delta(before, cpu.snapshot(CPU_GROUPS, database=CPU_DATABASE[0]))
        clients_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent["clients"] = (clients_after.ru_utime + clients_after.ru_stime) - (
            clients_before.ru_utime + clients_before.ru_stime
        )
        routed = list(Invoice.objects.filter(pk__in=ids).values_list("status", "sent_at", "status_changed_at"))
        delays = [(changed - sent).total_seconds() for _status, sent, changed in routed if sent and changed]
        seconds = [d["seconds"] for d in data["done"]]  # an API call answers a rejected flux too
        row = {
            "mode": mode,
            "clients": DEPOSIT_CLIENTS,
            "sent": len(ids),
            "errors": len(data["errors"]),
            "error_samples": data["errors"][:3],
            "client_seconds": data["elapsed"],
            "sent_per_s": len(ids) / data["elapsed"] if data["elapsed"] else 0,
            "end_to_end_seconds": end_to_end,
            "end_to_end_per_s": len(ids) / end_to_end if end_to_end else 0,
            "not_routed": sum(1 for status, *_ in routed if status in ("DEPOSEE", "EN_COURS_ACHEMINEMENT")),
            "made_available": sum(1 for status, *_ in routed if status == "MISE_A_DISPOSITION"),
            "p50": percentile(seconds, 50) * 1000,
            "p95": percentile(seconds, 95) * 1000,
            "p99": percentile(seconds, 99) * 1000,
            "routing_p50": percentile(delays, 50) * 1000,
            "routing_p95": percentile(delays, 95) * 1000,
            "cpu_ms": cpu.per_unit(spent, len(ids)),
        }
        rows.append(row)
        log(
            f"  dépôts {mode:<6} {row['sent']:>5} envoyées ({row['errors']} erreurs) : {row['sent_per_s']:.1f}/s envoyées, "
            f"{row['end_to_end_per_s']:.1f}/s jusqu'à la mise à disposition ; envoi p50 {row['p50']:.0f} ms "
            f"p95 {row['p95']:.0f} ms ; acheminement p95 {row['routing_p95']:.0f} ms"
        )
        if data["errors"]:
            log(f"    erreurs : {data['errors'][:3]}")
    results["deposits"] = rows


# --- Staff transitions ---------------------------------------------------------------------


def wait_until(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError("délai dépassé")


def step_transitions(args, results: dict) -> None:
    from django.db import transaction

    from accounts.models import OutboxEmail, OutboxState, User
    from bench import tasks as bench_tasks
    from invoices import services, workflow
    from invoices.models import Invoice, InvoiceEvent, TransitionRequest

    n = args.transitions
    admin = User.objects.get(email="admin@bench.example")
    ids = list(Invoice.objects.filter(status="MISE_A_DISPOSITION").order_by("id").values_list("pk", flat=True)[:n])
    if len(ids) < n:
        raise SystemExit(f"{len(ids)} factures en mise à disposition seulement : relancez avec les données neuves")
    transition = workflow.TRANSITIONS["prendre_en_compte"]
    # Only this run's e-mails: one left pending by an interrupted earlier run (its worker killed
    # mid-send, no beat here to sweep it) must not hold the measure until the timeout.
    last_mail = OutboxEmail.objects.order_by("-id").values_list("id", flat=True).first() or 0
    run_mails = OutboxEmail.objects.filter(id__gt=last_mail)
    pending_mail = run_mails.filter(state=OutboxState.PENDING)
    started = time.monotonic()
    for start in range(0, n, TRANSITION_BATCH):
        with transaction.atomic():
            services.transition_requests_create(
                invoice_ids=ids[start : start + TRANSITION_BATCH],
                transition=transition,
                user=admin,
                actor=workflow.Actor.RECIPIENT,
            )
    created = time.monotonic() - started
    pending = TransitionRequest.objects.filter(state="EN_ATTENTE")
    wait_until(lambda: not pending.exists(), 1800)
    applied = time.monotonic() - started
    events = InvoiceEvent.objects.filter(invoice_id__in=ids, transition="prendre_en_compte")
    wait_until(lambda: not events.filter(notified_at__isnull=True).exists(), 1800)
    notified = time.monotonic() - started
    wait_until(lambda: not pending_mail.exists(), 1800)
    mailed = time.monotonic() - started
    mails = run_mails.count()
    row = {
        "requests": n,
        "batch": TRANSITION_BATCH,
        "created_seconds": created,
        "applied_seconds": applied,
        "applied_per_s": n / applied,
        "notified_per_s": n / notified,
        "mailed_per_s": n / mailed,
        "emails": mails,
        "refused": TransitionRequest.objects.filter(invoice_id__in=ids, state="REFUSEE").count(),
    }
    log(
        f"  transitions : {n:,} appliquées en {applied:.1f} s = {row['applied_per_s']:.0f}/s ; notifiées "
        f"{row['notified_per_s']:.0f}/s ; {mails:,} e-mails envoyés : {row['mailed_per_s']:.0f}/s"
    )
    # The same workers, one bare UPDATE+INSERT task per invoice.
    marked = InvoiceEvent.objects.filter(comment=bench_tasks.MARK)
    before = marked.count()
    started = time.monotonic()
    suppliers = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "supplier_id"))
    for pk in ids:
        bench_tasks.update_insert.delay(pk, suppliers[pk])
    wait_until(lambda: marked.count() - before >= n, 1800)
    bare = time.monotonic() - started
    row["bare_per_s"] = n / bare
    row["ratio"] = row["applied_per_s"] / row["bare_per_s"]
    log(f"  tâche nue UPDATE+INSERT : {n:,} en {bare:.1f} s = {row['bare_per_s']:.0f}/s ; rapport {row['ratio']:.0%}")
    results["transitions"] = row


# --- Directory import ----------------------------------------------------------------------


def step_import(args, results: dict, env: dict) -> None:
    url = args.database_url.rstrip("/") + "_import"
    recreate_database(url)
    structures = max(1, args.import_lines // 3)  # 1 structure line + 2 service lines
    output = subprocess.run(
        [sys.executable, str(BASE_DIR / "bench" / "import_annuaire.py"), "--structures", str(structures)],
        cwd=BASE_DIR,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in output.splitlines():
        if not line.startswith("BENCH_JSON"):
            log("  " + line)
    data = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH_JSON ")).split(" ", 1)[1])
    results["import"] = data


# --- Report --------------------------------------------------------------------------------


def machine() -> dict:
    import django

    def version(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        )
    except (OSError, StopIteration):
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import celery

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load": os.getloadavg(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "postgres": postgres,
        "redis": version(["redis-server", "--version"]),
        "wrk": version(["wrk", "--version"]),
        "gunicorn": version([str(Path(sys.executable).parent / "gunicorn"), "--version"]),
    }


def main():
    args = parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.report_only:
        from bench.report import write_report

        write_report(RESULTS, REPORT)
        return
    var_dir = Path(tempfile.mkdtemp(prefix="chorus-bench-"))
    env = portal_env(args, var_dir)
    os.environ.update(env)  # this process reads the same settings as the servers
    import django

    django.setup()
    path = RESULTS / f"{args.label}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.update(
        {
            "label": args.label,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "size": args.size,
            "workers": args.workers,
            "celery_concurrency": args.celery_concurrency,
            "duration": args.duration,
            "api_rate_limit": BENCH_API_RATE_LIMIT,
        }
    )
    log(f"Banc d'essai « {args.label} » : {', '.join(args.steps)} ; fichiers dans {var_dir}")
    if "data" in args.steps:
        step_data(args, results)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    import redis

    for db in (12, 13):
        redis.Redis.from_url(f"{args.redis_url.rstrip('/')}/{db}").flushdb()
    services = Services(args, env, var_dir)
    try:
        if {"pages", "deposits", "transitions"} & set(args.steps):
            services.start()
            CPU_GROUPS.update(services.groups())
            CPU_DATABASE[0] = urlparse(args.database_url).path.lstrip("/")
        if "pages" in args.steps:
            log("Pages (wrk)")
            step_pages(args, results)
        if "deposits" in args.steps:
            log(f"Dépôts ({DEPOSIT_CLIENTS} clients)")
            step_deposits(args, results, var_dir)
        if "transitions" in args.steps:
            log("Traitements du personnel par les workers")
            step_transitions(args, results)
    finally:
        services.stop()
    if "import" in args.steps:
        log("Import de l'annuaire")
        step_import(args, results, env)
    results["machine"] = machine()
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    from bench.report import write_report

    write_report(RESULTS, REPORT)
    log(f"Résultats : {path} ; rapport : {REPORT}")
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
