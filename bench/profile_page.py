"""Profile one page of the benchmark database: its SQL queries (count, time, the slowest ones) and
where Python spends its time (cProfile), without a server (Django's test client, same settings).

    .venv/bin/python bench/profile_page.py /factures/ --who fournisseur [--repeat 5] [--sql]
    .venv/bin/python bench/profile_page.py --deposit pdf|typed      # one deposit and its sending
    .venv/bin/python bench/profile_page.py --deposit api            # one deposer/flux call (CII XML)

``--who``: anonyme, fournisseur, agent, admin (the accounts of ``bench/datagen.py``). Run after
``make bench`` (or ``bench/run.py --only data``) filled the database; nothing is kept from a
deposit (its transaction is rolled back).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default="/factures/")
    parser.add_argument("--who", default="fournisseur")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sql", action="store_true", help="afficher chaque requête SQL")
    parser.add_argument("--deposit", choices=["pdf", "typed", "api"])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chorus_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
    parser.add_argument("--redis-db", type=int, help="base Redis du cache (sinon celle du banc, 12)")
    parser.add_argument(
        "--no-profile", action="store_true", help="sans cProfile : temps processeur par requête (médiane des séries)"
    )
    args = parser.parse_args()
    if args.deposit and args.no_profile:
        parser.error("--no-profile : pages seulement (un dépôt mesuré est annulé dans sa transaction)")

    from bench.run import portal_env

    class Settings:
        port = 8714
        database_url = args.database_url
        redis_url = args.redis_url

    import tempfile

    os.environ.update(portal_env(Settings, Path(tempfile.mkdtemp(prefix="chorus-profile-"))))
    if args.redis_db is not None:
        os.environ["REDIS_URL"] = f"{args.redis_url.rstrip('/')}/{args.redis_db}"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("collectstatic", "--noinput", verbosity=0)  # the pages name the hashed files
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bench.run import placeholders

    emails = {
        "fournisseur": "fournisseur0@bench.example",
        "agent": "agent0@bench.example",
        "admin": "admin@bench.example",
    }
    client = Client(SERVER_NAME="127.0.0.1")
    if args.deposit:
        args.who = "fournisseur"
        emails["fournisseur"] = "fournisseur1@bench.example"
    if args.who != "anonyme":
        client.force_login(User.objects.get(email=emails[args.who]))

    path = args.path.format(**placeholders()) if not args.deposit else None

    def request():
        if not args.deposit:
            return client.get(path)
        return deposit(client, args.deposit)

    request()  # warm-up: imports, caches
    if args.no_profile:
        cpu_per_request(request, args.repeat, path or args.deposit, args.who)
        return
    profile = cProfile.Profile()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(args.repeat):
            if args.deposit:
                with transaction.atomic():
                    profile.enable()
                    response = request()
                    profile.disable()
                    transaction.set_rollback(True)
            else:
                profile.enable()
                response = request()
                profile.disable()
    elapsed = (time.perf_counter() - started) / args.repeat
    per_request = len(queries.captured_queries) / args.repeat
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000 / args.repeat
    print(f"{args.deposit or args.path} ({args.who}) : réponse {getattr(response, 'status_code', response)}")
    print(f"{elapsed * 1000:.1f} ms par requête, {per_request:.0f} requêtes SQL ({sql_ms:.1f} ms)")
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]
    for q in queries.captured_queries if args.sql else slowest:
        print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][: int(os.environ.get('PROFILE_SQL_WIDTH', '300'))]}")
    if os.environ.get("PROFILE_DUMP"):
        profile.dump_stats(os.environ["PROFILE_DUMP"])
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        int(os.environ.get("PROFILE_LINES", "30"))
    )
    print(out.getvalue())


def cpu_per_request(request, repeat: int, label: str, who: str) -> None:
    """Processor time of this process per request, without a profiler: the median and the lowest
    of 11 series of ``repeat`` requests (a shared machine: the lowest is the least disturbed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    series = []
    for _ in range(11):
        started = time.process_time()
        for _ in range(repeat):
            response = request()
        series.append((time.process_time() - started) * 1000 / repeat)
    with CaptureQueriesContext(connection) as queries:
        request()
    series.sort()
    print(
        f"{label} ({who}) : réponse {response.status_code}, processeur {series[5]:.2f} ms par requête "
        f"(médiane ; min {series[0]:.2f}), {len(queries.captured_queries)} requêtes SQL"
    )


_SPEC: list[dict] = []


def deposit(client, mode: str):
    """One deposit and sending, as bench/clients.py does it."""
    from bench import clients as web
    from bench.run import deposit_clients

    if not _SPEC:
        _SPEC.append(api_client() if mode == "api" else deposit_clients(Path(os.environ["CHORUS_VAR_DIR"]))[0])
    spec = _SPEC[0]

    class Session:
        def get(self, url):
            return _Response(client.get(url, follow=True))

        def post(self, url, data, files=None, headers=None):
            if headers:  # the API: a JSON body, its headers as the WSGI environ has them
                meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
                return _Response(client.post(url, data, content_type=headers["Content-Type"], **meta))
            payload = dict(data)
            if files:
                from django.core.files.uploadedfile import SimpleUploadedFile

                name, content, kind = files["file"]
                payload["file"] = SimpleUploadedFile(name, content, content_type=kind)
            return _Response(client.post(url, payload, follow=True))

    session = Session()
    if mode == "api":
        return web.send_api(session, "", spec, spec["template"])
    if mode == "pdf":
        return web.send_pdf(session, "", spec, Path(spec["pdf"]).read_bytes())
    return web.send_typed(session, "", spec)


def api_client() -> dict:
    """The API credentials and the XML template of the first deposit client (``bench/run.py``)."""
    from accounts.models import User
    from bench.run import api_credentials, api_template
    from structures.models import Structure

    user = User.objects.get(email="fournisseur1@bench.example")
    supplier = user.memberships.get().structure
    recipient = Structure.objects.get(name="Destinataire public du banc n° 3")
    return {**api_credentials(supplier, user), "template": api_template(supplier, recipient).decode()}


class _Response:
    def __init__(self, response):
        self.status_code = response.status_code
        self.text = response.content.decode()
        chain = getattr(response, "redirect_chain", [])
        self.url = chain[-1][0] if chain else response.wsgi_request.path

    def json(self):
        return json.loads(self.text)


if __name__ == "__main__":
    main()
