"""Package the H5P activities written here (fixtures/h5p/src/) into fixtures/h5p/<name>.h5p.

Each package holds the activity's h5p.json and content/, plus the library folders it needs
from courses/h5p/content_types/. The archive is the same byte for byte on every run and every
machine: entries sorted, fixed dates and permissions, and stored without compression, since
deflate output depends on the zlib build. `--draw` redraws the PNG pictures of the starter
activities with Pillow (simple drawings, no text in them); they are committed, like the
packages, so a build never depends on the Pillow or zlib version.
"""

import io
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.h5p.validation import H5PValidationError, h5p_validate

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures" / "h5p"
SOURCE_DIR = FIXTURES_DIR / "src"
LIBRARIES_DIR = Path(settings.BASE_DIR) / "courses" / "h5p" / "content_types"
# The earliest date a ZIP header can hold; any fixed date would do.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = stat.S_IFREG | 0o644


class BuildError(Exception):
    """A source folder that cannot be packaged; the message names it."""


def _files_under(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    """Every file under a folder as (archive name, path); hidden files and caches are left out."""
    found = []
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if path.is_dir() or any(part.startswith(".") or part == "__pycache__" for part in parts):
            continue
        found.append((prefix + "/".join(parts), path))
    return found


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BuildError(f"{path}: {error}") from error


def _library_folders(manifest: dict, libraries_dir: Path) -> list[Path]:
    """The library folders an activity needs: its preloaded dependencies, recursively."""
    needed: dict[str, Path] = {}
    queue = list(manifest.get("preloadedDependencies") or [])
    while queue:
        dependency = queue.pop()
        folder = "{machineName}-{majorVersion}.{minorVersion}".format(**dependency)
        if folder in needed:
            continue
        path = libraries_dir / folder
        if not (path / "library.json").is_file():
            raise BuildError(f"library {folder} is not in {libraries_dir}")
        needed[folder] = path
        queue.extend(_read_json(path / "library.json").get("preloadedDependencies") or [])
    return [needed[name] for name in sorted(needed)]


def h5p_build(source: Path, *, libraries_dir: Path = LIBRARIES_DIR) -> bytes:
    """The .h5p archive of one source folder (h5p.json and content/), as bytes."""
    manifest = _read_json(source / "h5p.json")
    if not (source / "content" / "content.json").is_file():
        raise BuildError(f"{source}: content/content.json is missing")
    entries = [("h5p.json", source / "h5p.json")]
    entries += _files_under(source / "content", "content/")
    for folder in _library_folders(manifest, libraries_dir):
        entries += _files_under(folder, f"{folder.name}/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so that external_attr holds the file mode
            info.external_attr = FILE_MODE << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def h5p_sources(source_dir: Path = SOURCE_DIR) -> list[Path]:
    """The activity folders under fixtures/h5p/src/, by name."""
    return sorted(path.parent for path in source_dir.glob("*/h5p.json"))


class Command(BaseCommand):
    help = (
        "Package fixtures/h5p/src/<name>/ with its libraries into fixtures/h5p/<name>.h5p "
        "(byte-identical on every run)."
    )
    # Files in, files out: no database and no URL needed, so no system checks either.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if a committed package differs from its sources.",
        )
        parser.add_argument(
            "--draw",
            action="store_true",
            help="Redraw the PNG pictures of the starter activities first (needs Pillow).",
        )

    def handle(self, *args, check: bool, draw: bool, **options):
        if draw:
            for path in pictures_draw():
                self.stdout.write(f"drawn {path.relative_to(settings.BASE_DIR)}")
        stale = []
        for source in h5p_sources():
            target = FIXTURES_DIR / f"{source.name}.h5p"
            try:
                data = h5p_build(source)
                h5p_validate(io.BytesIO(data))
            except BuildError as error:
                raise CommandError(str(error)) from error
            except H5PValidationError as error:
                raise CommandError(f"{source.name}: refused: {error.message}") from error
            if target.is_file() and target.read_bytes() == data:
                self.stdout.write(f"{target.name}: unchanged")
                continue
            stale.append(target.name)
            if check:
                self.stdout.write(f"{target.name}: differs from its sources")
            else:
                target.write_bytes(data)
                self.stdout.write(f"{target.name}: written ({len(data)} bytes)")
        if check and stale:
            raise CommandError(
                f"{len(stale)} package(s) out of date: run `manage.py build_h5p` and commit them."
            )


# --- Pictures --------------------------------------------------------------------------
# Simple drawings for the starter activities: strong outlines, a few flat colours, no text.

PICTURE_SIZE = (320, 240)
SCALE = 3  # drawn three times larger, then reduced: smooth edges without anti-aliasing
INK = "#1d3557"
PAPER = "#ffffff"
GREY = "#c9d2dc"


class _Pen:
    """ImageDraw with coordinates in the final picture's pixels and a fixed line width."""

    def __init__(self, background: str):
        from PIL import Image, ImageDraw

        width, height = PICTURE_SIZE
        self.image = Image.new("RGB", (width * SCALE, height * SCALE), background)
        self.draw = ImageDraw.Draw(self.image)

    @staticmethod
    def _scaled(values):
        return [value * SCALE for value in values]

    def box(self, xy, fill, *, outline=INK, width=4, radius=8):
        self.draw.rounded_rectangle(
            self._scaled(xy),
            radius=radius * SCALE,
            fill=fill,
            outline=outline,
            width=width * SCALE if outline else 0,
        )

    def ellipse(self, xy, fill, *, outline=INK, width=4):
        self.draw.ellipse(
            self._scaled(xy), fill=fill, outline=outline, width=width * SCALE if outline else 0
        )

    def polygon(self, points, fill, *, outline=INK, width=4):
        flat = self._scaled([value for point in points for value in point])
        self.draw.polygon(flat, fill=fill, outline=outline, width=width * SCALE if outline else 0)

    def line(self, points, *, fill=INK, width=4):
        flat = self._scaled([value for point in points for value in point])
        self.draw.line(flat, fill=fill, width=width * SCALE, joint="curve")

    def arc(self, xy, start, end, *, fill=INK, width=4):
        self.draw.arc(self._scaled(xy), start, end, fill=fill, width=width * SCALE)

    def png(self) -> bytes:
        from PIL import Image

        small = self.image.resize(PICTURE_SIZE, Image.Resampling.LANCZOS)
        small = small.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        small.save(buffer, "PNG", optimize=True)
        return buffer.getvalue()


def _envelope(pen: _Pen, x: int, y: int, width: int = 170, height: int = 115) -> None:
    pen.box((x, y, x + width, y + height), PAPER, radius=6)
    pen.line([(x + 4, y + 6), (x + width // 2, y + height // 2 + 4), (x + width - 4, y + 6)])


def _draw_parcel_fee() -> bytes:
    """A message asking to pay for a parcel: envelope, parcel, coins and a clock."""
    pen = _Pen("#fdf1e3")
    _envelope(pen, 20, 30)
    pen.box((150, 105, 270, 205), "#c8915a", radius=4)
    pen.box((198, 105, 222, 205), "#ecd2a8", outline=None, radius=0)
    pen.box((150, 105, 270, 205), None, radius=4)
    pen.line([(150, 135), (270, 135)])
    for index in range(3):
        top = 190 - index * 14
        pen.ellipse((40, top, 110, top + 26), "#f2c14e", outline="#7a5a10", width=3)
    pen.ellipse((225, 15, 295, 85), PAPER)
    pen.line([(260, 50), (260, 28)], width=5)
    pen.line([(260, 50), (278, 58)], width=5)
    return pen.png()


def _draw_party_photos() -> bytes:
    """A message from a friend with photos: envelope and a photo of hills in the sun."""
    pen = _Pen("#e9f3fb")
    _envelope(pen, 20, 30)
    pen.box((140, 90, 295, 215), PAPER, radius=6)
    pen.box((152, 102, 283, 203), "#9fd3f0", outline=None, radius=2)
    pen.ellipse((240, 110, 272, 142), "#f7c948", outline=None)
    pen.polygon(
        [(152, 203), (152, 170), (190, 140), (225, 175), (250, 158), (283, 185), (283, 203)],
        "#5aa469",
        outline=None,
    )
    pen.box((140, 90, 295, 215), None, radius=6)
    return pen.png()


def _draw_workshop_date() -> bytes:
    """A message giving a date: envelope and a calendar with one day circled."""
    pen = _Pen("#eef6ea")
    _envelope(pen, 20, 30)
    pen.box((150, 80, 290, 215), PAPER, radius=8)
    pen.box((150, 80, 290, 112), "#c0392b", radius=8)
    for x in (180, 260):
        pen.line([(x, 70), (x, 92)], width=6)
    for row in range(3):
        for column in range(4):
            left = 164 + column * 31
            top = 124 + row * 29
            pen.box((left, top, left + 20, top + 18), GREY, outline=None, radius=3)
    pen.ellipse((218, 145, 254, 177), None, outline="#1e6b34", width=5)
    return pen.png()


def _draw_pin_keypad() -> bytes:
    """A secret code: a keypad whose screen shows four hidden digits."""
    pen = _Pen("#fbeaea")
    pen.box((95, 12, 225, 228), "#2b3a4f", radius=16)
    pen.box((108, 26, 212, 66), "#e8eef6", outline=None, radius=6)
    for index in range(4):
        left = 120 + index * 22
        pen.ellipse((left, 38, left + 14, 52), INK, outline=None)
    for row in range(4):
        for column in range(3):
            left = 110 + column * 35
            top = 80 + row * 36
            pen.box((left, top, left + 28, top + 28), "#c9d2dc", outline=None, radius=6)
    return pen.png()


def _draw_eid_card() -> bytes:
    """A Belgian identity card: photo, chip and lines, and the flag's three colours."""
    pen = _Pen("#eef2f7")
    pen.box((30, 45, 290, 200), "#d9e6f2", radius=14)
    pen.box((48, 60, 60, 80), "#1d1d1b", outline=None, radius=0)
    pen.box((60, 60, 72, 80), "#f4c300", outline=None, radius=0)
    pen.box((72, 60, 84, 80), "#d8232a", outline=None, radius=0)
    pen.box((48, 92, 122, 182), "#b8c4d0", radius=6, width=3)
    pen.ellipse((70, 104, 100, 136), "#f0d3b5", width=3)
    pen.polygon([(56, 182), (62, 152), (85, 142), (108, 152), (114, 182)], "#4a6fa5", width=3)
    pen.box((140, 70, 186, 108), "#e5b94e", outline="#7a5a10", width=3, radius=6)
    pen.line([(140, 89), (186, 89)], fill="#7a5a10", width=2)
    pen.line([(163, 70), (163, 108)], fill="#7a5a10", width=2)
    for index, length in enumerate((120, 96, 110)):
        top = 125 + index * 20
        pen.box((140, top, 140 + length, top + 9), "#8a9bb0", outline=None, radius=4)
    return pen.png()


def _draw_phone_doctor() -> bytes:
    """A phone number for the doctor: a mobile phone and a stethoscope."""
    pen = _Pen("#e8f5f1")
    pen.box((45, 20, 145, 220), "#2b3a4f", radius=16)
    pen.box((55, 40, 135, 190), "#bfe3f5", outline=None, radius=4)
    pen.ellipse((85, 198, 105, 214), "#c9d2dc", outline=None)
    pen.box((84, 95, 106, 135), "#1f7a6f", outline=None, radius=0)
    pen.box((75, 104, 115, 126), "#1f7a6f", outline=None, radius=0)
    pen.arc((180, 20, 280, 130), 0, 180, width=6)
    pen.line([(183, 75), (192, 30)], width=6)
    pen.line([(277, 75), (268, 30)], width=6)
    pen.ellipse((183, 18, 201, 36), INK, outline=None)
    pen.ellipse((259, 18, 277, 36), INK, outline=None)
    pen.line([(230, 130), (230, 165), (215, 185)], width=6)
    pen.ellipse((185, 175, 235, 225), "#c9d2dc", width=5)
    return pen.png()


PICTURES: dict[str, Callable[[], bytes]] = {
    "quel-message-est-une-arnaque/content/images/colis.png": _draw_parcel_fee,
    "quel-message-est-une-arnaque/content/images/photos.png": _draw_party_photos,
    "quel-message-est-une-arnaque/content/images/atelier.png": _draw_workshop_date,
    "que-ne-faut-il-jamais-donner/content/images/code-pin.png": _draw_pin_keypad,
    "que-ne-faut-il-jamais-donner/content/images/carte-eid.png": _draw_eid_card,
    "que-ne-faut-il-jamais-donner/content/images/telephone.png": _draw_phone_doctor,
}


def pictures_draw(source_dir: Path = SOURCE_DIR) -> list[Path]:
    """Write every picture of PICTURES under the source folder; returns their paths."""
    written = []
    for name, draw in PICTURES.items():
        path = source_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(draw())
        written.append(path)
    return written
