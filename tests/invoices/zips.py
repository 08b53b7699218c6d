"""Zip archives for the batch deposit tests, built in memory: plain entries, folders, and entries
whose headers lie about their uncompressed size (a zip bomb that hides)."""

import io
import struct
import zipfile


def make_zip(entries: list[tuple[str, bytes | None]], *, lying: dict[str, int] | None = None) -> bytes:
    """A deflated zip of ``entries`` (name, content; content ``None`` for a folder entry). Each name
    in ``lying`` gets that uncompressed size written in its headers instead of its real one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            if content is None:
                archive.writestr(zipfile.ZipInfo(name if name.endswith("/") else name + "/"), b"")
            else:
                archive.writestr(name, content)
    data = bytearray(buffer.getvalue())
    for name, size in (lying or {}).items():
        _patch_size(data, name.encode(), size)
    return bytes(data)


def _patch_size(data: bytearray, name: bytes, size: int) -> None:
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:  # central directory headers
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_length]) == name:
            struct.pack_into("<I", data, start + 24, size)
            local = struct.unpack_from("<I", data, start + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
            return
        start += 4
    raise KeyError(name)
