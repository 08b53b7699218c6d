"""Processor time of pages of the benchmark database through Django's test client: for each page
the median of ``--runs`` series of ``--repeat`` requests (process time, so another process on the
machine counts less than in wall time), its SQL queries and their time, next to the trivial
connected view's. No profiler: what a request costs, not what cProfile adds.

    .venv/bin/python bench/page_times.py [NAME ...] [--runs 15] [--repeat 5] [--redis-db 12]
    .venv/bin/python bench/page_times.py liste-fiscale --profile      # cProfile of one page
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p .venv/bin/python bench/page_times.py \
        --instructions [--repeat 5] [NAME ...]     # instructions per request (deterministic)

``NAME``: the names of ``bench/pages.py`` (the supplier workspace pages and the trivial connected
view when none), or ``/path/:who``. Read only (never writes to the database); the cache is the Redis database
``--redis-db``, its keys prefixed by ``--key-prefix`` (the sessions and the figures, as in the
benchmark: warm after the first request).

The last column is the processor time of the PostgreSQL backend serving these requests (read in
/proc, averaged over all the runs of a page): what the database spends on the page besides the
web process.

``--explain``: PostgreSQL's planning and execution time of each query of the pages, and with
``EXPLAIN_PLANS=2`` the plan of each query taking more than 2 ms.

``--instructions`` (under callgrind): the instructions per request of each page, from dumps asked
with ``callgrind_control`` around ``--repeat`` then 3 × ``--repeat`` requests (the machine's load
does not change them; about 50 times slower). The database's and Redis's work is not counted,
only the web process's.
"""

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT = [
    "trivial-connecte",
    "liste-fiscale",
    "facture",
    "tableau-de-bord",
    "synthese",
    "accueil-fournisseur",
    "accueil-agent",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--key-prefix", default="page-times")
    parser.add_argument("--profile", action="store_true", help="cProfile of the pages instead of their times")
    parser.add_argument("--pyinstrument", action="store_true", help="pyinstrument's tree instead of cProfile")
    parser.add_argument("--instructions", action="store_true", help="under callgrind: instructions per request")
    parser.add_argument(
        "--time",
        default="",
        help="comma-separated module:function (or module:Class.method): processor time spent in each, per request",
    )
    parser.add_argument(
        "--explain", action="store_true", help="PostgreSQL's planning and execution time of each query of the pages"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chorus_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
    args = parser.parse_args()

    from bench.run import portal_env

    class Settings:
        port = 8714
        database_url = args.database_url
        redis_url = args.redis_url

    # One directory per checkout, kept: its collected static files serve the next runs.
    var_dir = Path(tempfile.gettempdir()) / f"chorus-times-{hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]}"
    var_dir.mkdir(exist_ok=True)
    env = portal_env(Settings, var_dir)
    env["REDIS_URL"] = f"{args.redis_url.rstrip('/')}/{args.redis_db}"
    env["CELERY_BROKER_URL"] = f"{args.redis_url.rstrip('/')}/{args.redis_db + 1}"
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    settings.CACHES["default"]["KEY_PREFIX"] = args.key_prefix  # before the first use of the cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bench.pages import PAGES
    from bench.run import placeholders

    if not (var_dir / "static" / "staticfiles.json").exists():  # the pages name the hashed files
        call_command("collectstatic", "--noinput", verbosity=0)
    emails = {
        "fournisseur": "fournisseur0@bench.example",
        "agent": "agent0@bench.example",
        "admin": "admin@bench.example",
    }
    clients = {}
    for who, email in emails.items():
        clients[who] = Client(SERVER_NAME="127.0.0.1")
        clients[who].force_login(User.objects.get(email=email))
    filled = placeholders()
    pages = {name: (path.format(**filled), who) for name, path, who, _label in PAGES}
    names = args.names or DEFAULT
    timed = time_functions(args.time.split(",")) if args.time else {}
    print(f"{'page':24} {'ms (médiane)':>12} {'min':>6} {'requêtes':>9} {'SQL ms':>7} {'PostgreSQL ms':>12} {'ko':>8}")
    for name in names:
        path, who = pages[name] if name in pages else name.rsplit(":", 1)  # or "/path/:who"
        client = clients[who]
        response = client.get(path)  # warm-up: imports, caches
        assert response.status_code == 200, (name, response.status_code)
        for spent in timed.values():  # the warm-up's first renders and imports are not counted
            spent[0] = 0.0
        if args.instructions:
            for _ in range(2):  # caches filled (figures, criteria form, labels)
                client.get(path)
            # Two intervals, of ``repeat`` and of 3 × ``repeat`` requests: what an interval costs
            # besides its requests (the dumps, ~100 millions) cancels out in the difference.
            callgrind_dump(f"{name}-start")
            for _ in range(args.repeat):
                client.get(path)
            short = callgrind_dump(f"{name}-short")
            for _ in range(3 * args.repeat):
                client.get(path)
            long = callgrind_dump(f"{name}-long")
            per_request = (long - short) / (2 * args.repeat) / 1e6
            print(f"{name:24} {per_request:12.2f} millions d'instructions par requête", flush=True)
            continue
        if args.explain:
            explain(client, path, name)
            continue
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(args.repeat * args.runs):
                    client.get(path)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            continue
        if args.profile:
            profile(client, path, args.repeat * args.runs)
            continue
        series = []
        backend = backend_cpu()
        for _ in range(args.runs):
            started = time.process_time()
            for _ in range(args.repeat):
                client.get(path)
            series.append((time.process_time() - started) * 1000 / args.repeat)
        backend_ms = (backend_cpu() - backend) / (args.runs * args.repeat)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        print(
            f"{name:24} {statistics.median(series):12.1f} {min(series):6.1f} "
            f"{len(queries.captured_queries):9d} {sql_ms:7.1f} {backend_ms:12.2f} {len(response.content) / 1000:8.1f}"
        )
        requests = args.runs * args.repeat + 1  # the series and the query count
        for label, spent in timed.items():
            print(f"    {label:40} {spent[0] * 1000 / requests:8.3f} ms par requête", flush=True)
            spent[0] = 0.0


def time_functions(targets: list[str]) -> dict[str, list[float]]:
    """Wrap each ``module:function`` (or ``module:Class.method``) to add up the processor time
    spent in it (outermost calls only): what one part of a page costs, without a profiler's
    overhead on every call. The wrapper replaces the attribute: code that imported the function
    by name before (``from module import function``) keeps calling the original, which is why
    this runs before the first request imports the views."""
    import functools
    import importlib

    timed = {}
    for target in targets:
        module_name, _, attribute = target.partition(":")
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        function = getattr(owner, name)
        spent = timed[target] = [0.0]
        depth = [0]

        def wrapper(*args, _function=function, _spent=spent, _depth=depth, **kwargs):
            if _depth[0]:
                return _function(*args, **kwargs)
            _depth[0] += 1
            started = time.process_time()
            try:
                return _function(*args, **kwargs)
            finally:
                _spent[0] += time.process_time() - started
                _depth[0] -= 1

        setattr(owner, name, functools.wraps(function)(wrapper))
    return timed


def backend_cpu() -> float:
    """Milliseconds of processor used so far by this process's PostgreSQL backend (/proc: 10 ms
    ticks, hence the average over all the runs of a page)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def explain(client, path: str, name: str) -> None:
    """Each query of one display of the page (caches warm), with PostgreSQL's planning and
    execution times (``EXPLAIN (ANALYZE)``, median of 5): what the server spends parsing and
    planning a query, which a prepared statement would spend once per connection."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    total_plan = total_run = 0.0
    print(f"{name} ({path}) : {len(queries.captured_queries)} requêtes")
    for query in queries.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "EXECUTE")):  # EXECUTE: a prepared statement
            print(f"    {'':>8} {'':>8}  {sql[:110]}")
            continue
        plans, runs = [], []
        with connection.cursor() as cursor:
            for _ in range(5):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                result = cursor.fetchone()[0][0]
                plans.append(result["Planning Time"])
                runs.append(result["Execution Time"])
        plan, run = statistics.median(plans), statistics.median(runs)
        if os.environ.get("EXPLAIN_PLANS") and run > float(os.environ["EXPLAIN_PLANS"]):  # the plan of a slow one
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE) " + sql)
                print("\n".join("        " + line for (line,) in cursor.fetchall()))
        total_plan += plan
        total_run += run
        print(f"    {plan:8.3f} {run:8.3f}  {sql[:110]}")
    print(f"    {total_plan:8.3f} {total_run:8.3f}  ms en tout (planification, exécution)", flush=True)


_DUMPS = [0]


def callgrind_dump(label: str) -> int:
    """Ask callgrind for a dump (the counters restart at zero) and return the instructions it
    counted since the previous one (the waiting for the dump itself: a few sleeps)."""
    import subprocess

    _DUMPS[0] += 1
    path = Path(tempfile.gettempdir()) / f"cg.{os.getpid()}.{_DUMPS[0]}"  # --callgrind-out-file=/tmp/cg.%p
    subprocess.run(["callgrind_control", f"--dump={label}", str(os.getpid())], capture_output=True, check=True)
    while True:
        if path.exists():
            time.sleep(0.2)  # written
            with path.open("rb") as dump:  # its end only: reading it counts in the next interval
                dump.seek(max(0, path.stat().st_size - 4096))
                for line in dump.read().decode().splitlines():
                    if line.startswith("totals:"):
                        return int(line.split()[1])
        time.sleep(0.05)


def profile(client, path: str, times: int) -> None:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        client.get(path)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(order)
        stats.print_stats(int(os.environ.get("PROFILE_LINES", "45")))
        print(f"{path}: {times} requêtes, tri {order}")
        print(out.getvalue().split("\n", 8)[-1])
    callees = os.environ.get("PROFILE_CALLEES")  # e.g. "invoice_fiscal": what a function spends on
    if callees:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_callees(callees)
        print(out.getvalue())
    callers = os.environ.get("PROFILE_CALLERS")  # e.g. "trans_real.py:.*gettext": who calls it
    if callers:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_callers(callers)
        print(out.getvalue())


if __name__ == "__main__":
    main()
