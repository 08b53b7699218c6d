"""bench/cpu.py: the processor time of the benchmark's servers, per request or per invoice."""

import json
import subprocess
import sys
import time

import pytest

from bench import cpu, report

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")

# Waits for a line, burns 0.4 s of processor time, says so, then sleeps.
BURN = (
    "import sys, time\n"
    "sys.stdin.readline()\n"
    "end = time.process_time() + 0.4\n"
    "while time.process_time() < end: pass\n"
    "print('done', flush=True)\n"
    "time.sleep(30)"
)


def test_the_time_of_a_process_group_is_counted_and_nothing_else_in_it():
    burner = subprocess.Popen(
        [sys.executable, "-c", BURN], start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        groups = {"web": burner.pid, "workers": idle.pid}
        time.sleep(0.2)  # both interpreters started
        before = cpu.snapshot(groups)
        burner.stdin.write("go\n")
        burner.stdin.flush()
        assert burner.stdout.readline().strip() == "done"
        spent = cpu.delta(before, cpu.snapshot(groups))
    finally:
        for process in (burner, idle):
            process.kill()
            process.communicate()
    assert 0.3 <= spent["web"] <= 0.6
    assert spent["workers"] < 0.05
    assert spent["machine"] >= spent["web"]
    assert "postgres" in spent


def test_per_unit_is_milliseconds_and_other_is_what_the_named_groups_leave():
    per = cpu.per_unit({"web": 1.0, "workers": 0.5, "postgres": 0.25, "machine": 2.0}, 100)
    assert per == {"web": 10.0, "workers": 5.0, "postgres": 2.5, "machine": 20.0, "other": 2.5}
    assert cpu.per_unit({"web": 1.0}, 0) == {}


def test_the_report_shows_the_processor_time_of_pages_and_deposits(tmp_path):
    run = {
        "label": "apres",
        "date": "2026-12-03T00:00:00+00:00",
        "command": "bench/run.py",
        "size": 1000,
        "workers": 4,
        "celery_concurrency": 2,
        "duration": 10,
        "machine": {"cores": 2},
        "pages": [
            {
                "name": "trivial-connecte",
                "path": "/mon-compte/session/",
                "who": "fournisseur",
                "label": "vue triviale connectée",
                "c": 20,
                "rps": 500.0,
                "p50": 30.0,
                "p95": 40.0,
                "p99": 50.0,
                "errors": 0,
                "cpu_ms": {"web": 1.5, "postgres": 0.5, "machine": 4.0},
            },
            {
                "name": "liste",
                "path": "/factures/",
                "who": "fournisseur",
                "label": "Rechercher",
                "c": 20,
                "rps": 80.0,
                "p50": 200.0,
                "p95": 300.0,
                "p99": 400.0,
                "errors": 0,
                "queries": 7,
                "cpu_ms": {"web": 12.5, "postgres": 3.25, "machine": 24.0},
            },
        ],
        "deposits": [
            {
                "mode": "pdf",
                "clients": 10,
                "sent": 100,
                "errors": 0,
                "sent_per_s": 10.0,
                "end_to_end_per_s": 9.5,
                "p50": 800,
                "p95": 1600,
                "p99": 1700,
                "routing_p50": 50,
                "routing_p95": 110,
                "cpu_ms": {"web": 150.0, "workers": 12.0, "postgres": 20.0, "clients": 15.0, "machine": 210.0},
            }
        ],
    }
    (tmp_path / "apres.json").write_text(json.dumps(run))
    out = tmp_path / "benchmarks.md"
    report.write_report(tmp_path, out)
    text = out.read_text()
    assert "| 7 | 12,5 / 3,2 / 24,0 |" in text or "| 7 | 12,5 / 3,3 / 24,0 |" in text
    assert "| 150,0 / 12,0 / 20,0 / 15,0 / 210,0 |" in text
    # The objectives say where a gap comes from: the slowest page's cost beside the trivial view's,
    # and the deposits' ceiling at their processor cost on this machine's cores.
    assert (
        "la plus lente : Rechercher, c=20, 16,0 % (p95 300 ms) ; 24,0 ms de processeur par requête contre 4,0" in text
    )
    assert "pdf 9,5/s (210 ms de processeur chacune, plafond 10/s)" in text


def test_a_process_that_ends_between_two_snapshots_counts_for_nothing_not_less():
    burner = subprocess.Popen(
        [sys.executable, "-c", BURN], start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    with burner:
        time.sleep(0.2)
        burner.stdin.write("go\n")
        burner.stdin.flush()
        assert burner.stdout.readline().strip() == "done"
        before = cpu.snapshot({"web": burner.pid})  # holds the burner's 0.4 s
        burner.kill()
        burner.communicate()
    spent = cpu.delta(before, cpu.snapshot({"web": burner.pid}))
    assert spent["web"] == 0.0
