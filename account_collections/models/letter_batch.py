"""Many letters in one wkhtmltopdf call, split afterwards.

wkhtmltopdf costs about a second to start, then a fraction of a second per
page; Debian's build (unpatched Qt) also refuses several input documents in
one call. So the letters of a chunk are put in *one* HTML document, a page
break before each, each starting with an invisible link whose address names
the letter; the PDF is then cut where those links are, and the links are
taken out of the pages again.

Fonts: wkhtmltopdf draws the text of a web font (the company's report font,
Lato by default, is one) as vector paths, a megabyte or more per letter. The
merged document maps that font's family to the same font installed on the
server (``local()``, e.g. Debian's ``fonts-lato``), which the PDF then embeds
once, as a font: the same look in tens of kilobytes. Without the font on the
server, the text falls back to the report's sans-serif system font.
"""

import io
import re

import lxml.html

from odoo.tools.pdf import ArrayObject, NameObject, PdfFileReader, PdfFileWriter

#: Address of the marker link that opens each letter (never followed).
MARKER_URL = "https://letter.invalid/%d"
MARKER_RE = re.compile(r"^https://letter\.invalid/(\d+)$")


#: Weights and styles mapped to the installed font, with the name suffixes
#: fonts are installed under.
FONT_FACES = (
    ("400", "normal", ("", " Regular", "-Regular")),
    ("700", "normal", (" Bold", "-Bold")),
    ("400", "italic", (" Italic", "-Italic")),
    ("700", "italic", (" Bold Italic", "-BoldItalic")),
    ("300", "normal", (" Light", "-Light")),
)


def local_font_css(families):
    """CSS mapping each of ``families`` (CSS names, e.g. ``Open_Sans``) to the
    font of that name installed on the server."""
    rules = []
    for family in sorted(set(families)):
        name = family.replace("_", " ")
        if not re.fullmatch(r"[\w ]+", name):
            continue
        for weight, style, suffixes in FONT_FACES:
            sources = ", ".join(
                f"local('{variant}{suffix}')"
                for suffix in suffixes
                for variant in dict.fromkeys((name, name.replace(" ", "")))
            )
            rules.append(
                f"@font-face {{ font-family: '{family}'; src: {sources}; "
                f"font-weight: {weight}; font-style: {style}; }}"
            )
    return "\n".join(rules)


def merge_bodies(bodies, record_ids, fonts=()):
    """One HTML document holding every body, each opened by its marker.

    :param bodies: full HTML documents as Odoo's ``_prepare_html`` returns
        them (one per record, each with the report's head).
    :param record_ids: the record id of each body, in the same order.
    :param fonts: the report font families to take from the server's fonts.
    :return: the merged document (str); the head of the first body is kept.
    """
    first = None
    for body, record_id in zip(bodies, record_ids, strict=True):
        tree = lxml.html.document_fromstring(body)
        node = tree.body
        marker = lxml.html.Element(
            "a",
            href=MARKER_URL % record_id,
            style="display: block; width: 1px; height: 1px; overflow: hidden; "
            "font-size: 1px; line-height: 1px; color: transparent;",
        )
        marker.text = "."
        if first is None:
            first = tree
            node.insert(0, marker)
            if fonts:
                style = lxml.html.Element("style")
                style.text = local_font_css(fonts)
                first.head.append(style)
            continue
        breaker = lxml.html.Element("div", style="page-break-before: always; height: 0;")
        first.body.append(breaker)
        first.body.append(marker)
        for child in list(node):
            first.body.append(child)
    return lxml.html.tostring(first, encoding="unicode", doctype="<!DOCTYPE html>")


def split_pdf(pdf, record_ids):
    """Cut the PDF of :func:`merge_bodies` into one PDF per record.

    :return: ``{record_id: bytes}``, or ``{}`` when the markers do not match
        ``record_ids`` exactly (the caller then renders one by one).
    """
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    starts = []  # (page index, record id)
    for page_index in range(reader.getNumPages()):
        page = reader.getPage(page_index)
        annotations = page.get("/Annots")
        if not annotations:
            continue
        annotations = annotations.get_object()
        kept = []
        for annotation_ref in annotations:
            annotation = annotation_ref.get_object()
            uri = annotation.get("/A", {}).get("/URI") if annotation.get("/A") else None
            match = MARKER_RE.match(str(uri)) if uri else None
            if match:
                record_id = int(match.group(1))
                if not starts or starts[-1][1] != record_id:
                    starts.append((page_index, record_id))
            else:
                kept.append(annotation_ref)
        if len(kept) != len(annotations):
            page[NameObject("/Annots")] = ArrayObject(kept)
    if [record_id for _page, record_id in starts] != list(record_ids):
        return {}
    if len({page for page, _record_id in starts}) != len(starts):
        return {}  # two letters on one page: the page break did not hold
    result = {}
    page_count = reader.getNumPages()
    for position, (first_page, record_id) in enumerate(starts):
        last_page = starts[position + 1][0] if position + 1 < len(starts) else page_count
        writer = PdfFileWriter()
        for page_index in range(first_page, last_page):
            writer.addPage(reader.getPage(page_index))
        stream = io.BytesIO()
        writer.write(stream)
        result[record_id] = stream.getvalue()
    return result
