"""The checklist as an A4 PDF in large print, made on the server with reportlab.

Chinese is set in reportlab's built-in CID font STSong-Light (the reader's own Song typeface: no font
file ships with the portal); English in Helvetica, with any Chinese in it (a name, the service centre's
sign) switched to STSong-Light.
"""

from __future__ import annotations

import re
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from services_portal.counter.checklist import Checklist, ChecklistItem

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
# Large print: body text of 16 points, headings larger.
BODY_SIZE = 16
CJK_RUN = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


def _fonts_register() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


class _Styles:
    def __init__(self, language: str) -> None:
        chinese = language != "en"
        regular = CJK_FONT if chinese else LATIN_FONT
        bold = CJK_FONT if chinese else LATIN_BOLD
        wrap = "CJK" if chinese else None
        self.chinese = chinese
        self.regular = regular
        self.title = ParagraphStyle(
            "title", fontName=bold, fontSize=28, leading=36, spaceAfter=6 * mm, wordWrap=wrap, alignment=TA_LEFT
        )
        self.heading = ParagraphStyle(
            "heading", fontName=bold, fontSize=22, leading=29, spaceBefore=6 * mm, spaceAfter=2 * mm, wordWrap=wrap
        )
        self.label = ParagraphStyle(
            "label", fontName=bold, fontSize=BODY_SIZE + 1, leading=24, spaceBefore=3 * mm, wordWrap=wrap
        )
        self.body = ParagraphStyle(
            "body", fontName=regular, fontSize=BODY_SIZE, leading=23, spaceAfter=1 * mm, wordWrap=wrap
        )
        self.person = ParagraphStyle("person", parent=self.body, fontSize=20, leading=27)
        self.bullet = "\u25a0" if chinese else "\u2022"  # ■ is in the GB character set, • in WinAnsi
        self.material = ParagraphStyle(
            "material", parent=self.body, leftIndent=9 * mm, bulletIndent=2 * mm, bulletFontName=regular
        )

    def text(self, raw: str) -> str:
        """Paragraph markup for plain text: escaped, and in English any Chinese run set in the CJK font."""
        marked = escape(raw)
        if not self.chinese:
            marked = CJK_RUN.sub(lambda run: f'<font name="{CJK_FONT}">{run.group(0)}</font>', marked)
        return marked


def _item_flowables(item: ChecklistItem, checklist: Checklist, styles: _Styles) -> list:
    heading = item.name + (f" ({item.essential})" if item.essential else "")
    flowables: list = [
        Paragraph(styles.text(heading), styles.heading),
        Paragraph(styles.text(item.department), styles.body),
    ]
    if item.no_application:
        flowables.append(Paragraph(styles.text(item.no_application), styles.body))
    flowables.append(Paragraph(styles.text(checklist.bring_heading), styles.label))
    flowables += [
        Paragraph(styles.text(material), styles.material, bulletText=styles.bullet) for material in item.materials
    ]
    flowables.append(Paragraph(styles.text(checklist.where_heading), styles.label))
    flowables.append(Paragraph(styles.text(item.where), styles.body))
    flowables.append(Paragraph(styles.text(checklist.how_long_heading), styles.label))
    flowables.append(Paragraph(styles.text(item.how_long), styles.body))
    return flowables


def checklist_pdf(checklist: Checklist, *, author: str = "") -> bytes:
    """The checklist as the bytes of an A4 PDF."""
    _fonts_register()
    styles = _Styles(checklist.language)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=checklist.title,
        author=author,
        lang=checklist.html_lang,
        displayDocTitle=True,
        initialFontName=styles.regular,
    )
    story: list = [
        Paragraph(styles.text(checklist.title), styles.title),
        Paragraph(styles.text(checklist.person), styles.person),
        Paragraph(styles.text(checklist.made_on), styles.body),
        Paragraph(styles.text(checklist.intro), styles.body),
    ]
    for item in checklist.items:
        story.append(KeepTogether(_item_flowables(item, checklist, styles)))
    if not checklist.items:
        story.append(Paragraph(styles.text(checklist.empty), styles.body))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(styles.text(checklist.hotline_heading), styles.heading),
        Paragraph(styles.text(f"{checklist.hotline_text} {checklist.hotline}"), styles.person),
    ]
    document.build(story)
    return buffer.getvalue()
