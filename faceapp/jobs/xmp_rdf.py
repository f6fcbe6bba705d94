"""Just enough RDF/XML on a minidom tree to edit one property of an XMP packet and leave the rest be.

minidom (standard library) keeps what other photo tools care about: every element and attribute
with its prefix, comments, and the xpacket processing instructions around x:xmpmeta. Namespaces
are matched by URI, never by prefix: another tool may bind "mwg-rs" to any name it likes.
"""

from __future__ import annotations

import os
import re
import stat
from xml.dom import minidom
from xml.dom.minidom import Document, Element
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import quoteattr

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMLNS = "http://www.w3.org/2000/xmlns/"
_XML = "http://www.w3.org/XML/1998/namespace"
_BOM = b"\xef\xbb\xbf"
_DECL = re.compile(rb"<\?xml[^>]*\?>\s*")


class XmpError(ValueError):
    """A sidecar that cannot be edited safely; the caller leaves it untouched."""


MAX_SIDECAR = 16 * 1024 * 1024  # far above any real sidecar; a bigger file is not one


def read_sidecar(path: str | os.PathLike) -> bytes | None:
    """A sidecar's bytes; None when there is none. Raises XmpError for what must not be read as one
    (a folder, a device or pipe, which could block forever, or a file too big) and OSError."""
    try:
        st = os.stat(path)  # follows links, as reading would
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise XmpError("is not a regular file")
    if st.st_size > MAX_SIDECAR:
        raise XmpError(f"is {st.st_size // (1024 * 1024)} MB, too big for a sidecar")
    with open(path, "rb") as fh:
        return fh.read(MAX_SIDECAR + 1)


def parse(data: bytes) -> tuple[Document, Element]:
    """The document and its rdf:RDF element. Refuses DTDs (no entity tricks) and non-UTF-8 packets."""
    if b"<!DOCTYPE" in data:
        raise XmpError("has a DOCTYPE, which XMP never uses")
    head = _DECL.match(data.removeprefix(_BOM))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (head and re.search(rb"encoding=.(?!utf-?8)", head.group(0), re.I)):
        raise XmpError("is not UTF-8")
    try:
        doc = minidom.parseString(data)
    except (ExpatError, ValueError) as exc:
        raise XmpError(f"is not well-formed XML ({exc})") from None
    found = doc.getElementsByTagNameNS(RDF, "RDF")
    if not found:
        raise XmpError("has no rdf:RDF element (not an XMP packet)")
    return doc, found[0]


def serialize(doc: Document, original: bytes) -> bytes:
    """The edited document, keeping the original BOM and XML declaration (minidom drops both)."""
    bom = _BOM if original.startswith(_BOM) else b""
    decl = _DECL.match(original.removeprefix(_BOM))
    body = "\n".join(n.toxml() for n in doc.childNodes)
    return bom + (decl.group(0) if decl else b"") + body.encode("utf-8") + b"\n"


def elements(el: Element) -> list[Element]:
    return [c for c in el.childNodes if c.nodeType == c.ELEMENT_NODE]


def is_a(el: object, uri: str, local: str) -> bool:
    return isinstance(el, Element) and el.namespaceURI == uri and el.localName == local


def fields(el: Element) -> dict[tuple[str, str], Element | str]:
    """The fields of a struct-valued property or list item, in any of RDF's spellings:
    rdf:parseType="Resource", a nested rdf:Description (fields as its attributes or children),
    or fields as attributes on the property element itself."""
    out: dict[tuple[str, str], Element | str] = {}

    def attrs(e: Element) -> None:
        for a in e.attributes.values():
            if a.namespaceURI not in (RDF, XMLNS, _XML, None):
                out[(a.namespaceURI, a.localName)] = a.value

    attrs(el)
    kids = elements(el)
    if el.getAttributeNS(RDF, "parseType") != "Resource" and len(kids) == 1 and is_a(kids[0], RDF, "Description"):
        attrs(kids[0])
        kids = elements(kids[0])
    for k in kids:
        out[(k.namespaceURI, k.localName)] = k
    return out


def text(v: Element | str | None) -> str:
    if v is None or isinstance(v, str):
        return (v or "").strip()
    return "".join(c.data for c in v.childNodes if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE)).strip()


def items(el: Element | str | None) -> list[Element]:
    """The rdf:li of an array property (Bag, Seq or Alt)."""
    if not isinstance(el, Element):
        return []
    for c in elements(el):
        if c.namespaceURI == RDF and c.localName in ("Bag", "Seq", "Alt"):
            return [li for li in elements(c) if is_a(li, RDF, "li")]
    return []


def scope(el: Element) -> dict[str | None, str]:
    """Prefix → namespace URI as declared on el and its ancestors (None: the default namespace)."""
    chain: list[Element] = []
    node = el
    while isinstance(node, Element):
        chain.append(node)
        node = node.parentNode
    out: dict[str | None, str] = {"xml": _XML}
    for e in reversed(chain):
        for name, value in e.attributes.items():
            if name == "xmlns" or name.startswith("xmlns:"):
                out[name[6:] or None] = value
    return out


def prefix_for(desc: Element, uri: str, preferred: str) -> str:
    """The document's own prefix for uri where one is in scope, else `preferred` (or a free variant) declared on desc."""
    sc = scope(desc)
    for p, u in sc.items():
        if u == uri and p:
            return p
    p, k = preferred, 1
    while p in sc:
        p, k = f"{preferred}{k}", k + 1
    declare(desc, p, uri)
    return p


def declare(el: Element, prefix: str | None, uri: str) -> None:
    """A namespace declaration, placed before the other attributes as the parser would read it back
    (so that a second export writes the same bytes)."""
    el.setAttributeNS(XMLNS, f"xmlns:{prefix}" if prefix else "xmlns", uri)
    for a in [a for a in el.attributes.values() if a.namespaceURI != XMLNS]:
        el.removeAttributeNode(a)
        el.setAttributeNode(a)


def used_prefixes(el: Element) -> set[str | None]:
    out = {el.prefix} | {a.prefix for a in el.attributes.values() if a.namespaceURI != XMLNS and a.prefix != "xml"}
    for c in elements(el):
        out |= used_prefixes(c)
    return out


def keep_namespaces(el: Element, before: dict[str | None, str]) -> None:
    """After moving el, declare on it whatever prefix it uses that now means something else (or nothing)."""
    now = scope(el)
    for p in sorted(used_prefixes(el), key=str):
        if p in before and now.get(p) != before[p]:
            declare(el, p, before[p])


def fragment(doc: Document, xml: str, ns: dict[str, str]) -> Element:
    """An element of doc built from text; ns declares the prefixes the text uses (already in scope where it goes)."""
    decl = " ".join(f"xmlns:{p}={quoteattr(u)}" for p, u in ns.items())
    wrapper = minidom.parseString(f"<w {decl}>{xml}</w>".encode()).documentElement
    return doc.importNode(elements(wrapper)[0], True)
