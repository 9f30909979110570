"""What the player frame's document carries so that the player starts without waiting.

h5p-standalone starts with a chain of small requests, each waiting for the one before: the
package's h5p.json, then a library.json to learn how library folders are named, content.json,
the main library's library.json, then the library.json of every dependency, level by level;
only then does it ask for the player's and the libraries' scripts and styles. On a slow line
(400 ms per round trip) that chain cost more than the files themselves (issue 20). And in the
embedded default the frame's origin is opaque, which Chromium gives no HTTP cache at all: the
same library.json was fetched three times in one visit.

So the frame document carries:
- the JSON files of that chain (`inline`), which frame.js hands to the player without a
  request (they are small: a few hundred bytes each; a large content.json is left to fetch);
- a preload of every script and stylesheet the player will ask for once it has read them
  (`scripts`, `styles`), so that they come in parallel with the player's own script.

Both are worked out here as h5p-standalone does (preloadedDependencies followed from
h5p.json through each library.json), from files validated when the package was stored. A
package's files never change, and its libraries only with its revision token: the result is
kept per package and revision.
"""

import json
from dataclasses import dataclass
from functools import lru_cache

from django.core.files.storage import default_storage
from django.urls import reverse

from .models import H5PPackage
from .selectors import h5p_libraries_resolve, h5p_libraries_revision

# Above this, content.json is fetched by the player as before: the frame document is sent
# again at every visit (no-cache), while a fetched content.json may come from the cache of
# the player's own host (H5P_ORIGIN).
INLINE_CONTENT_LIMIT = 16_000


@dataclass(frozen=True)
class FrameFiles:
    inline: dict  # URL path -> the parsed JSON the player would fetch there
    scripts: tuple[str, ...]  # URL paths, in the order the player loads them
    styles: tuple[str, ...]


def _read_json(name: str) -> tuple[object, int]:
    with default_storage.open(name, "rb") as handle:
        raw = handle.read()
    return json.loads(raw), len(raw)


def _folder(dependency: dict) -> str:
    return f"{dependency['machineName']}-{dependency['majorVersion']}.{dependency['minorVersion']}"


def frame_files(*, package: H5PPackage) -> FrameFiles:
    return _frame_files(package, package.content_path, h5p_libraries_revision(package=package))


@lru_cache(maxsize=512)
def _frame_files(package: H5PPackage, content_path: str, revision: str) -> FrameFiles:
    # Kept by the package's id (how Django hashes a model instance), its content's folder
    # (named after its SHA-256: an id used again by another package, as a test database
    # does, cannot answer with the first one's files) and the revision of its libraries.
    package_id = package.pk
    libraries = h5p_libraries_resolve(package=package)
    files = reverse("h5p:package_file", args=[package_id, "h5p.json"]).removesuffix("/h5p.json")

    def library_url(folder: str, path: str) -> str:
        return reverse("h5p:library_file", args=[package_id, revision, folder, path])

    h5p_json, _size = _read_json(f"{content_path}/h5p.json")
    inline: dict = {f"{files}/h5p.json": h5p_json}
    content, size = _read_json(f"{content_path}/content/content.json")
    if size <= INLINE_CONTENT_LIMIT:
        inline[f"{files}/content/content.json"] = content

    # Each library after the libraries it depends on, as H5P loads them.
    order: list[str] = []
    seen: set[str] = set()

    def visit(folder: str) -> None:
        if folder in seen or folder not in libraries:
            return
        seen.add(folder)
        library_json, _size = _read_json(f"{libraries[folder].path}/library.json")
        inline[library_url(folder, "library.json")] = library_json
        for dependency in library_json.get("preloadedDependencies") or []:
            visit(_folder(dependency))
        order.append(folder)

    for dependency in h5p_json.get("preloadedDependencies") or []:
        visit(_folder(dependency))

    scripts, styles = [], []
    for folder in order:
        library_json = inline[library_url(folder, "library.json")]
        scripts += [
            library_url(folder, item["path"]) for item in library_json.get("preloadedJs") or []
        ]
        styles += [
            library_url(folder, item["path"]) for item in library_json.get("preloadedCss") or []
        ]
    return FrameFiles(inline=inline, scripts=tuple(scripts), styles=tuple(styles))
