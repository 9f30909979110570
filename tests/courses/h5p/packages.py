"""Hand-built .h5p archives for the tests: a small valid package, and ways to spoil it."""

import io
import json
import stat
import warnings
import zipfile
from pathlib import Path

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def library_json(name: str, major: int, minor: int, patch: int, **extra) -> str:
    return json.dumps(
        {
            "title": name,
            "machineName": name,
            "majorVersion": major,
            "minorVersion": minor,
            "patchVersion": patch,
            "runnable": 1,
            **extra,
        }
    )


def valid_files(*, title: str = "Vrai ou faux ?", test_patch: int = 3) -> dict[str, bytes | str]:
    """h5p.json, content, a main library and the helper library it depends on."""
    return {
        "h5p.json": json.dumps(
            {
                "title": title,
                "language": "fr",
                "mainLibrary": "H5P.Test",
                "embedTypes": ["div"],
                "license": "U",
                "preloadedDependencies": [
                    {"machineName": "H5P.Test", "majorVersion": "1", "minorVersion": "0"},
                ],
            }
        ),
        "content/content.json": json.dumps({"question": "Le ciel est bleu ?"}),
        "content/images/photo.png": PNG,
        "H5P.Test-1.0/library.json": library_json(
            "H5P.Test",
            1,
            0,
            test_patch,
            preloadedJs=[{"path": "scripts/test.js"}],
            preloadedCss=[{"path": "styles/test.css"}],
            preloadedDependencies=[
                {"machineName": "H5P.Helper", "majorVersion": 1, "minorVersion": 2}
            ],
        ),
        "H5P.Test-1.0/scripts/test.js": f"H5P.Test = function () {{}}; // patch {test_patch}",
        "H5P.Test-1.0/styles/test.css": ".h5p-test { color: black; }",
        "H5P.Test-1.0/icon.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
        "H5P.Helper-1.2/library.json": library_json(
            "H5P.Helper", 1, 2, 0, preloadedJs=[{"path": "helper.js"}]
        ),
        "H5P.Helper-1.2/helper.js": "H5P.Helper = {};",
    }


def h5p_zip(
    files: dict[str, bytes | str] | list[tuple[str, bytes | str]],
    *,
    symlinks: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> io.BytesIO:
    """An archive with exactly these entries (names are not cleaned up: that is the point)."""
    buffer = io.BytesIO()
    entries = files.items() if isinstance(files, dict) else files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates we want
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name)
                info.compress_type = compression
                info.create_system = 3
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                if name in symlinks:
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, data)
    buffer.seek(0)
    return buffer


def valid_package(**kwargs) -> io.BytesIO:
    return h5p_zip(valid_files(**kwargs))


def stored_files(root: Path) -> list[str]:
    """Every file under a media root, relative to it."""
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
