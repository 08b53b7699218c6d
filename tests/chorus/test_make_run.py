"""`make run` stops cleanly: one Ctrl+C (SIGINT to the terminal's process group) or a SIGTERM to make
stops the web server, the worker and beat within a few seconds and leaves no process behind; the
three processes get the run's address (PORTAL_BASE_URL) for the links in e-mails."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR

START_TIMEOUT = 120  # migrate + demo data on a fresh SQLite file, on a busy 2-core machine
STOP_TIMEOUT = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid → (parent pid, state, command line) for every process of the machine."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        table[int(entry.name)] = (int(ppid), state, cmdline)
    return table


def descendants(pid: int) -> dict[int, str]:
    table = process_table()
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _state, cmdline) in table.items():
            if ppid == parent and child not in found:
                found[child] = cmdline
                todo.append(child)
    return found


def alive(pids) -> dict[int, str]:
    """Those of ``pids`` still running (a zombie waiting for its parent to reap it is not)."""
    table = process_table()
    return {pid: table[pid][2] for pid in pids if pid in table and table[pid][1] != "Z"}


def wait_until(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def home_page_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def make_run(tmp_path):
    """Start `make run` on a free port with its own var folder, as a terminal would (own session,
    so that "Ctrl+C" is a SIGINT to its process group); yields (process, port, log path, and a dict
    where the test records the processes it saw, all killed at the end)."""
    port = free_port()
    log = tmp_path / "make-run.log"
    # A clean environment, as in a developer's shell: no test settings, no PostgreSQL nor Redis.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL") if key in os.environ}
    env["CHORUS_VAR_DIR"] = str(tmp_path / "var")
    with log.open("w") as output:
        # -o: the virtualenv is the one running these tests, already installed.
        process = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "run", f"PORT={port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: dict[int, str] = {}
    try:
        yield process, port, log, seen
    finally:
        # Whatever the test saw (a failing run leaves orphans, no longer below make) is stopped.
        seen.update(descendants(process.pid))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for pid in alive(seen):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _started(process, port, log, seen) -> dict[int, str]:
    def ready():
        text = log.read_text()
        assert process.poll() is None, text
        return home_page_answers(port) and "celery@" in text and " ready." in text and "beat: Starting" in text

    assert wait_until(ready, START_TIMEOUT, interval=0.5), log.read_text()
    children = descendants(process.pid)
    seen.update(children)
    commands = " | ".join(children.values())
    assert f"runserver 127.0.0.1:{port}" in commands and "chorus worker" in commands and "chorus beat" in commands
    # E-mail links: the three processes get the address of this run.
    assert base_urls(children) == {f"http://127.0.0.1:{port}"}
    # ... and so does the demo loaded before them (its agent is attached by the service, which
    # e-mails a link to the admin): the worker delivers it from the embedded broker.
    outbox = Path(log).parent / "var" / "outbox"
    assert wait_until(lambda: any(outbox.glob("*.eml")), START_TIMEOUT, interval=0.5), log.read_text()
    texts = [path.read_text(errors="replace") for path in outbox.glob("*.eml")]
    assert any(f"http://127.0.0.1:{port}/" in text for text in texts), texts
    assert not any("http://127.0.0.1:8000/" in text for text in texts), texts
    return children


def base_urls(pids) -> set[str]:
    found = set()
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        found.update(item.split(b"=", 1)[1].decode() for item in environ if item.startswith(b"PORTAL_BASE_URL="))
    return found


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda process: os.killpg(process.pid, signal.SIGINT), id="ctrl-c"),
        pytest.param(lambda process: process.send_signal(signal.SIGTERM), id="sigterm-to-make"),
    ],
)
def test_one_signal_stops_the_web_server_the_worker_and_beat(make_run, stop):
    process, port, log, seen = make_run
    children = _started(process, port, log, seen)
    start = time.monotonic()
    stop(process)
    assert wait_until(lambda: process.poll() is not None and not alive(children), STOP_TIMEOUT), (
        f"still running after {STOP_TIMEOUT} s: {alive(children)}\n" + log.read_text()
    )
    assert time.monotonic() - start < STOP_TIMEOUT
    assert not home_page_answers(port)
    text = log.read_text()
    assert text.count("Warm shutdown") <= 2, text  # no signal loop
