"""Measure the staff transitions in one process, without Celery: N requests recorded as the admin's
bulk action records them, applied by the worker's service, then their notifications and e-mails.

    .venv/bin/python bench/profile_transitions.py --database-url postgres://postgres@127.0.0.1:5432/NAME
        [--requests 3000] [--batch 1000] [--who admin|agent] [--redis-url redis://127.0.0.1:6379/3]
        [--profile]

The database NAME is dropped and created again (never one of the benchmark or CI, refused), then
filled by ``bench/datagen.py`` with enough invoices to find ``--requests`` in « Mise à
disposition », and copied to ``NAME_modele``: the next run with the same ``--requests`` starts
from a copy of it (``CREATE DATABASE … TEMPLATE``, seconds instead of a minute); the requests ("prendre_en_compte", as in ``bench/run.py``) are made by the
superuser of the bench (``--who admin``) or by the agent of the invoices' recipient (``agent``),
in batches of ``--batch`` (one task each in production), and processed here by
``services.transition_requests_process`` (what ``invoices.process_transition_requests`` calls);
the notification tasks the processing publishes are collected and run here too
(``services.events_notify``), e-mails written as .eml files by the outbox backend.

Prints, for each step, the rate (per second of wall time, one process), the CPU time of this
process per request and the SQL queries per request (counted by an execute wrapper, no query
log). ``--redis-url`` is the cache (the figures' versions); without it, the local-memory cache.
The script only calls services that existed before issue 14's chunked processing, so the same
file measures the code before and after a change.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
REFUSED_NAMES = {"chorus_bench", "chorus_ci", "postgres", "template0", "template1"}


class Counter:
    """An execute wrapper counting the queries (cheaper than Django's query log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _admin(url: str):
    import psycopg2

    from bench.run import admin_db_url

    params, _name = admin_db_url(url)
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def copy_template(url: str, name: str, requests: int) -> bool:
    """Recreate ``name`` from its template made for ``requests`` if there is one (False), else
    empty (True: to be generated)."""
    template = f"{name}_modele"
    conn = _admin(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template])
        row = cursor.fetchone()
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if row and row[0] == f"requests={requests}":
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            conn.close()
            return False
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return True


def save_template(url: str, name: str, requests: int) -> None:
    template = f"{name}_modele"
    conn = _admin(url)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS 'requests={requests}'")
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="base PostgreSQL recréée pour la mesure")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=1000, help="demandes par lot (une tâche par lot)")
    parser.add_argument("--who", choices=["admin", "agent"], default="admin")
    parser.add_argument("--redis-url", default="", help="cache Redis (sinon cache local)")
    parser.add_argument("--profile", action="store_true", help="profil cProfile du traitement")
    args = parser.parse_args()

    from bench.run import admin_db_url

    _params, name = admin_db_url(args.database_url)
    if name in REFUSED_NAMES:
        raise SystemExit(f"Base « {name} » refusée : donnez une base à vous.")
    var_dir = Path(tempfile.mkdtemp(prefix="chorus-transitions-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "chorus.settings.base",
            "SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_BASE_URL": "http://127.0.0.1:8714",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CHORUS_VAR_DIR": str(var_dir),
            "EMAIL_OUTBOX_DIR": str(var_dir / "outbox"),
            "LOG_LEVEL": "WARNING",
            "MFA_REQUIRED_FOR_SUPERUSERS": "false",
        }
    )
    generated = copy_template(args.database_url, name, args.requests)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import OutboxEmail, User
    from bench import datagen
    from invoices import lifecycle, services, workflow
    from invoices.models import Invoice, InvoiceEvent, TransitionRequest
    from invoices.services import staff_requests

    n = args.requests
    if generated:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        # 10 % of the generated invoices end in « Mise à disposition ».
        datagen.generate(size=int(n * 12), log=lambda message: None)
        print(f"données : {time.perf_counter() - started:.1f} s")
        connection.close()
        save_template(args.database_url, name, n)
    ids = list(Invoice.objects.filter(status="MISE_A_DISPOSITION").order_by("id").values_list("pk", flat=True)[:n])
    if len(ids) < n:
        raise SystemExit(f"{len(ids)} factures en mise à disposition seulement")
    if args.who == "admin":
        user = User.objects.get(email="admin@bench.example")
    else:
        user = User.objects.get(email="agent0@bench.example")
        recipient = user.memberships.get().structure_id
        Invoice.objects.filter(pk__in=ids).update(recipient_id=recipient)

    # Tasks are collected, not published: the processing runs them here, in order.
    published: list[tuple] = []
    lifecycle.enqueue = lambda task, *task_args: published.append((task, *task_args)) or True
    staff_requests.enqueue_on_commit = lambda task, *task_args: None
    counter = Counter()

    transition = workflow.TRANSITIONS["prendre_en_compte"]
    batches = []
    for start in range(0, n, args.batch):
        with transaction.atomic():
            batches.append(
                services.transition_requests_create(
                    invoice_ids=ids[start : start + args.batch],
                    transition=transition,
                    user=user,
                    actor=workflow.Actor.RECIPIENT,
                )
            )

    profile = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(counter):
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        counts: dict = {}
        for batch in batches:
            for state, count in services.transition_requests_process(batch=batch).items():
                counts[state] = counts.get(state, 0) + count
        if profile:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    applied = TransitionRequest.objects.filter(invoice_id__in=ids, state="APPLIQUEE").count()
    print(
        f"traitement : {n:,} demandes ({counts}) en {wall:.2f} s = {n / wall:,.0f}/s ; "
        f"{cpu * 1000 / n:.2f} ms de processeur et {counter.count / n:.2f} requêtes par demande"
    )
    assert applied == n, f"{applied} demandes appliquées sur {n}"
    print_profile(profile)

    events = InvoiceEvent.objects.filter(invoice_id__in=ids, transition=transition.name)
    mails_before = OutboxEmail.objects.count()
    counter.count = 0
    notify = [args for task, *args in published if task == lifecycle.NOTIFY_MANY_TASK]
    profile = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(counter):
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        for (event_ids,) in notify:
            services.events_notify(event_ids=event_ids)
        if profile:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mails = OutboxEmail.objects.count() - mails_before
    unnotified = events.filter(notified_at__isnull=True).count()
    print(
        f"notifications : {len(notify)} tâches, {n:,} événements, {mails:,} e-mails en {wall:.2f} s = "
        f"{n / wall:,.0f} événements/s ; {cpu * 1000 / n:.2f} ms de processeur et "
        f"{counter.count / n:.2f} requêtes par événement"
    )
    assert unnotified == 0, f"{unnotified} événements non notifiés"
    print_profile(profile)


def print_profile(profile) -> None:
    if profile is None:
        return
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        int(os.environ.get("PROFILE_LINES", "40"))
    )
    print(out.getvalue())


if __name__ == "__main__":
    main()
