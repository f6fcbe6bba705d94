"""Just enough RDF/XML on a minidom tree to edit one property of an XMP packet and leave the rest be.

minidom (standard library) keeps what other photo tools care about: every element and attribute
with its prefix, comments, and the xpacket processing instructions around x:xmpmeta. Namespaces
are matched by URI, never by prefix: another tool may bind "mwg-rs" to any name it likes.

Sidecars come from anywhere, so they are parsed by defusedxml with DTDs forbidden (no entity ever
becomes text, whatever the encoding), only as UTF-8, and no deeper than MAX_DEPTH (minidom's own
walks recurse: a 3 KB file nested 1,000 deep would raise RecursionError). A sidecar that is a
symbolic link is neither read nor written: it may lead out of the photo tree.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from xml.dom import minidom
from xml.dom.minidom import Document, Element
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import quoteattr

import defusedxml.minidom
from defusedxml import DefusedXmlException

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMLNS = "http://www.w3.org/2000/xmlns/"
_XML = "http://www.w3.org/XML/1998/namespace"
_BOM = b"\xef\xbb\xbf"
_DECL = re.compile(rb"<\?xml[^>]*\?>\s*")


class XmpError(ValueError):
    """A sidecar that cannot be edited safely; the caller leaves it untouched."""


MAX_SIDECAR = 16 * 1024 * 1024  # far above any real sidecar; a bigger file is not one
MAX_DEPTH = 64  # real XMP nests about 12 deep; minidom's walks recurse once a level


def read_sidecar(path: str | os.PathLike) -> bytes | None:
    """A sidecar's bytes; None when there is none. Raises XmpError for what must not be read as one
    (a symbolic link, a folder, a device or pipe, which could block forever, or a file too big) and OSError."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise XmpError("is a symbolic link (faceapp neither reads nor writes sidecars through links)")
    if not stat.S_ISREG(st.st_mode):
        raise XmpError("is not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a link after the check
            raise XmpError("is a symbolic link (faceapp neither reads nor writes sidecars through links)") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise XmpError("is not a regular file")
        if st.st_size > MAX_SIDECAR:
            raise XmpError(f"is {st.st_size // (1024 * 1024)} MB, too big for a sidecar")
        return fh.read(MAX_SIDECAR + 1)


def _depth(doc: Document) -> int:
    """How deep the elements nest (without recursion)."""
    deepest, todo = 0, [(doc.documentElement, 1)]
    while todo:
        node, d = todo.pop()
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            break
        todo += [(c, d + 1) for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]
    return deepest


def parse(data: bytes) -> tuple[Document, Element]:
    """The document and its rdf:RDF element. Refuses DTDs (no entity tricks), anything but UTF-8 and
    documents nested deeper than MAX_DEPTH."""
    body = data.removeprefix(_BOM)
    head = _DECL.match(body)
    if (data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]
            or (head and re.search(rb"encoding=.(?!utf-?8)", head.group(0), re.I))):
        raise XmpError("is not UTF-8")  # UTF-16 and -32 hold NUL bytes, which UTF-8 XML never does
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise XmpError("is not UTF-8") from None
    try:
        doc = defusedxml.minidom.parseString(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise XmpError("has a DOCTYPE or entities, which XMP never uses") from None
    except (ExpatError, ValueError) as exc:
        raise XmpError(f"is not well-formed XML ({exc})") from None
    except RecursionError:
        raise XmpError(f"nests elements too deep (more than {MAX_DEPTH} levels)") from None
    if _depth(doc) > MAX_DEPTH:
        raise XmpError(f"nests elements too deep (more than {MAX_DEPTH} levels)")
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
