"""Draws the web app's icons (services_portal/static/portal/icons/), committed as files: run once more
only when the brand changes. The glyph 桂 (Guangxi) in white on the header's brand red, from Noto Sans
CJK (Debian's fonts-noto-cjk), which is needed only here: the icons are plain PNG files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image, ImageDraw, ImageFont

BRAND = "#9e1b1b"  # --brand in site.css
GLYPH = "桂"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
# (file, size in px, purpose): "any" icons are a rounded square; the maskable one is full bleed with the
# glyph inside the central circle of 80% that every mask shape keeps.
ICONS = [
    ("icon-192.png", 192, "any"),
    ("icon-512.png", 512, "any"),
    ("icon-maskable-512.png", 512, "maskable"),
    ("apple-touch-icon-180.png", 180, "apple"),
]


def _simplified_chinese(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The collection's Simplified Chinese face, whose 桂 is the one used on the mainland."""
    for index in range(10):
        try:
            font = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        family, _style = font.getname()
        if family and family.endswith(" SC"):
            return font
    raise CommandError(f"No Simplified Chinese face in {path}")


def icon_draw(*, size: int, purpose: str, font_path: str) -> Image.Image:
    # drawn at 4x and scaled down: smooth edges without anti-aliasing options
    scale = 4
    full = size * scale
    image = Image.new("RGBA", (full, full), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if purpose == "any":
        draw.rounded_rectangle((0, 0, full - 1, full - 1), radius=full // 5, fill=BRAND)
        glyph_share = 0.62
    else:  # maskable and Apple's (which rounds the corners itself): full bleed
        draw.rectangle((0, 0, full, full), fill=BRAND)
        glyph_share = 0.5 if purpose == "maskable" else 0.6
    font = _simplified_chinese(font_path, int(full * glyph_share))
    left, top, right, bottom = draw.textbbox((0, 0), GLYPH, font=font)
    position = ((full - (right - left)) / 2 - left, (full - (bottom - top)) / 2 - top)
    draw.text(position, GLYPH, font=font, fill="#ffffff")
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    return image.convert("RGB") if purpose != "any" else image


class Command(BaseCommand):
    help = "Draw the web app's icons into services_portal/static/portal/icons/."

    def add_arguments(self, parser):
        parser.add_argument("--font", default=FONT, help="a font collection with a Simplified Chinese face")

    def handle(self, *args, **options):
        folder = Path(settings.BASE_DIR) / "services_portal" / "static" / "portal" / "icons"
        folder.mkdir(parents=True, exist_ok=True)
        for name, size, purpose in ICONS:
            icon_draw(size=size, purpose=purpose, font_path=options["font"]).save(folder / name, optimize=True)
            self.stdout.write(f"{folder / name}: {size}x{size} ({purpose})")
