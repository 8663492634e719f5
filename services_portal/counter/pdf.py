"""The checklist as an A4 PDF in large print, made on the server with reportlab.

Chinese is set in WenQuanYi Zen Hei (文泉驿正黑), a subset of it embedded, so the page prints the same on any
reader; English in Helvetica, with any Chinese in it (a name, the service centre's sign) switched to it.
The font is Debian's fonts-wqy-zenhei (settings.CHECKLIST_FONT_FILE): a TrueType-outline CJK font, which
reportlab can subset and embed (not the CFF outlines of Noto CJK). It covers GB 18030 with CJK Extension A;
a character beyond that (Extension B and later, rare in names) prints as an empty box.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from services_portal.counter.checklist import Checklist, ChecklistCentre, ChecklistItem

CJK_FONT = "WenQuanYiZenHei"
# WenQuanYi Zen Hei is the first face of wqy-zenhei.ttc (then Zen Hei Mono and Zen Hei Sharp).
CJK_FONT_FACE = 0
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
# Large print: body text of 16 points, headings larger.
BODY_SIZE = 16
CJK_RUN = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


class ChecklistFontMissing(ImproperlyConfigured):
    """The font file the PDF embeds is not on this machine: a missing install step, not the user's to fix."""


def checklist_font_check(**kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` warns on a machine without the font, before anyone asks for a checklist PDF."""
    if Path(settings.CHECKLIST_FONT_FILE).is_file():
        return []
    return [
        checks.Warning(
            f"The checklist PDF's Chinese font {settings.CHECKLIST_FONT_FILE} is missing: PDFs will fail.",
            hint="apt-get install fonts-wqy-zenhei, or set CHECKLIST_FONT_FILE to wqy-zenhei.ttc.",
            id="counter.W001",
        )
    ]


def _fonts_register() -> None:
    path = Path(settings.CHECKLIST_FONT_FILE)
    # checked for every PDF (one stat), so the answer is the same whether or not an earlier one registered it
    if not path.is_file():
        raise ChecklistFontMissing(
            f"The checklist PDF's Chinese font {path} is missing: install Debian's fonts-wqy-zenhei "
            "(apt-get install fonts-wqy-zenhei) or point CHECKLIST_FONT_FILE at wqy-zenhei.ttc."
        )
    if CJK_FONT in pdfmetrics.getRegisteredFontNames():
        return
    # the subset of the glyphs used is embedded in the PDF (reportlab's TTFont always subsets)
    pdfmetrics.registerFont(TTFont(CJK_FONT, str(path), subfontIndex=CJK_FONT_FACE))


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


def _centre_flowables(centre: ChecklistCentre, styles: _Styles) -> list:
    flowables: list = [
        Paragraph(styles.text(centre.heading), styles.heading),
        Paragraph(styles.text(centre.name), styles.person),
    ]
    for label, value in (
        (centre.address_label, centre.address),
        (centre.hours_label, centre.hours),
        (centre.phone_label, centre.phone),
    ):
        flowables += [Paragraph(styles.text(label), styles.label), Paragraph(styles.text(value), styles.body)]
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
    if checklist.centre is not None:
        story.append(KeepTogether(_centre_flowables(checklist.centre, styles)))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(styles.text(checklist.hotline_heading), styles.heading),
        Paragraph(styles.text(f"{checklist.hotline_text} {checklist.hotline}"), styles.person),
    ]
    document.build(story)
    return buffer.getvalue()
