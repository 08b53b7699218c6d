"""Where the machine's processor time goes during one measurement of the benchmark: the web server
(gunicorn and its workers), the Celery worker, PostgreSQL, and the whole machine (so the load tool,
the deposit clients and anything else are what is left). Read from ``/proc`` (Linux), in seconds.

A rate alone does not say why a page or a flow is slow on a 2-core machine; processor time per
request or per invoice does: ``per_unit(delta(before, after), n)`` in milliseconds.
"""

import os
from pathlib import Path

PROC = Path("/proc")


def _ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _stat(pid_dir: Path) -> tuple[str, int, float] | None:
    """(command name, process group, user + system seconds) of one process, or None if it ended."""
    try:
        raw = (pid_dir / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp session ... utime stime": the name may hold spaces or parentheses.
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, int(fields[2]), (int(fields[11]) + int(fields[12])) / _ticks()


def machine_busy() -> float:
    """Seconds of processor time the whole machine spent outside idle and I/O wait, all cores."""
    fields = [int(x) for x in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _ticks()


def snapshot(groups: dict[str, int]) -> dict[str, float]:
    """Processor seconds used so far by each named process group (``{"web": pgid}``), by every
    PostgreSQL process (``postgres``) and by the whole machine (``machine``).

    The processes of a group that ended since the last snapshot are lost, which the benchmark's
    servers never do during a measurement (gunicorn's and Celery's workers live for the run)."""
    totals = {name: 0.0 for name in groups}
    totals["postgres"] = 0.0
    by_group = {pgid: name for name, pgid in groups.items()}
    for pid_dir in PROC.iterdir():
        if not pid_dir.name.isdigit():
            continue
        stat = _stat(pid_dir)
        if stat is None:
            continue
        name, pgrp, seconds = stat
        if pgrp in by_group:
            totals[by_group[pgrp]] += seconds
        elif name.startswith("postgres"):
            totals["postgres"] += seconds
    totals["machine"] = machine_busy()
    return totals


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after.get(name, 0.0) - value) for name, value in before.items()}


def per_unit(spent: dict[str, float], units: int) -> dict[str, float]:
    """Milliseconds per request or per invoice; ``other`` is the machine's time outside the
    named groups and PostgreSQL (the load tool, the clients, the system)."""
    if not units:
        return {}
    out = {name: 1000 * seconds / units for name, seconds in spent.items()}
    named = sum(value for name, value in out.items() if name != "machine")
    out["other"] = max(0.0, out.get("machine", 0.0) - named)
    return out
