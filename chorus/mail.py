"""E-mail backend for the embedded setup: one readable .eml file per message in the outbox."""

import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class OutboxEmailBackend(BaseEmailBackend):
    """Writes each message to ``EMAIL_OUTBOX_DIR/<timestamp>-<id>.eml``.

    The files open in any mail client; their links can be clicked from a text editor too, since
    Django sends text bodies as 8-bit UTF-8.
    """

    _lock = threading.Lock()

    def __init__(self, *args, outbox_dir=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox_dir = Path(outbox_dir or settings.EMAIL_OUTBOX_DIR)

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = self.outbox_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            data = message.message().as_bytes(linesep="\n")
            tmp = path.with_suffix(".tmp")
            with self._lock:
                tmp.write_bytes(data)
                tmp.replace(path)
            sent += 1
        return sent
