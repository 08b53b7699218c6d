"""The portal's side of the validation worker (``invoices.validation.worker``): one child process
per portal process, started on first use, kept between calls (its compiled stylesheets with it),
spoken to under a lock, killed and forgotten on a timeout, a crash or a fork.

``run(request)`` returns the worker's answer or raises ``WorkerError`` (its ``reason`` is
"timeout", "crash" or "error"); the caller turns that into a French message.
"""

import json
import os
import select
import struct
import subprocess
import sys
import threading
import time

from django.conf import settings


class WorkerError(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def worker_command() -> list[str]:
    return list(
        getattr(settings, "INVOICE_VALIDATION_WORKER", None) or [sys.executable, "-m", "invoices.validation.worker"]
    )


class Worker:
    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.command: list[str] = []
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen:
        command = worker_command()
        if self.process is not None and (self.process.poll() is not None or self.command != command):
            self.stop()
        if self.process is None:
            self.command = command
            self.process = subprocess.Popen(  # noqa: S603 -- the command comes from the settings
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=settings.BASE_DIR,
                close_fds=True,
            )
            os.set_blocking(self.process.stdin.fileno(), False)
        return self.process

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.kill()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def forget(self) -> None:
        """After a fork: the child process belongs to the parent; this process starts its own."""
        self.process = None
        self.lock = threading.Lock()

    def run(self, request: dict, *, timeout: float) -> dict:
        payload = json.dumps(request).encode("utf-8")
        with self.lock:
            process = self.start()
            deadline = time.monotonic() + timeout
            try:
                _write(process.stdin.fileno(), struct.pack(">I", len(payload)) + payload, deadline)
                (size,) = struct.unpack(">I", _read(process.stdout.fileno(), 4, deadline))
                answer = json.loads(_read(process.stdout.fileno(), size, deadline))
            except WorkerError:
                self.stop()
                raise
            except (OSError, ValueError) as exc:
                self.stop()
                raise WorkerError("crash", str(exc)) from None
        if not answer.get("ok"):
            raise WorkerError("error", answer.get("error", ""))
        return answer


def _wait(fd: int, deadline: float, *, write: bool) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WorkerError("timeout")
    ready = select.select([], [fd], [], remaining)[1] if write else select.select([fd], [], [], remaining)[0]
    if not ready:
        raise WorkerError("timeout")


def _write(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, deadline, write=True)
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise WorkerError("crash", "broken pipe") from None
        view = view[written:]


def _read(fd: int, size: int, deadline: float) -> bytes:
    data = bytearray()
    while len(data) < size:
        _wait(fd, deadline, write=False)
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise WorkerError("crash", "the worker closed its output")
        data += chunk
    return bytes(data)


_worker = Worker()
os.register_at_fork(after_in_child=_worker.forget)


def run(request: dict) -> dict:
    return _worker.run(request, timeout=settings.INVOICE_VALIDATION_TIMEOUT)


def stop() -> None:
    """Stop the worker (tests, shutdown); the next call starts a new one."""
    with _worker.lock:
        _worker.stop()
