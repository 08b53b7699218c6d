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


def _database_of(pid_dir: Path) -> str:
    """The database a PostgreSQL backend serves, from its title (``postgres: 15/main: user db …``)."""
    try:
        title = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return ""
    client = len(title) > 4 and title[0] == "postgres:" and ("(" in title[4] or title[4] == "[local]")
    return title[3] if client else ""  # "" for the server's own processes (checkpointer, WAL writer…)


def snapshot(groups: dict[str, int], *, database: str | None = None) -> dict:
    """Processor seconds used so far, per process: those of each named process group
    (``{"web": pgid}``) and PostgreSQL's (``postgres``: with ``database``, only the backends of that
    database and the server's own processes), and the whole machine's (``machine``).

    ``delta`` compares two snapshots process by process: a process that ended in between counts
    for nothing (never negatively), one that started counts for all its time."""
    by_group = {pgid: name for name, pgid in groups.items()}
    processes: dict[int, tuple[str, float]] = {}
    for pid_dir in PROC.iterdir():
        if not pid_dir.name.isdigit():
            continue
        stat = _stat(pid_dir)
        if stat is None:
            continue
        name, pgrp, seconds = stat
        if pgrp in by_group:
            processes[int(pid_dir.name)] = (by_group[pgrp], seconds)
        elif name.startswith("postgres"):
            served = _database_of(pid_dir)
            if database is None or served in ("", database):
                processes[int(pid_dir.name)] = ("postgres", seconds)
    return {"groups": [*groups, "postgres"], "processes": processes, "machine": machine_busy()}


def delta(before: dict, after: dict) -> dict[str, float]:
    spent = {name: 0.0 for name in before["groups"]}
    for pid, (name, seconds) in after["processes"].items():
        previous = before["processes"].get(pid)
        spent[name] = spent.get(name, 0.0) + max(0.0, seconds - (previous[1] if previous else 0.0))
    spent["machine"] = max(0.0, after["machine"] - before["machine"])
    # Every figure is a whole number of clock ticks: differences of large totals in seconds carry
    # float errors (0.39999999999963 for 40 ticks), rounded off here.
    ticks = _ticks()
    return {name: round(seconds * ticks) / ticks for name, seconds in spent.items()}


def per_unit(spent: dict[str, float], units: int) -> dict[str, float]:
    """Milliseconds per request or per invoice; ``other`` is the machine's time outside the
    named groups and PostgreSQL (the load tool, the clients, the system)."""
    if not units:
        return {}
    out = {name: 1000 * seconds / units for name, seconds in spent.items()}
    named = sum(value for name, value in out.items() if name != "machine")
    out["other"] = max(0.0, out.get("machine", 0.0) - named)
    return out
