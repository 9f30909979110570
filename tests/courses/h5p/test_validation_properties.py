"""Whatever archive arrives, the validator only says yes or no, and nothing lands outside."""

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from courses.h5p.models import H5PLibrary, H5PPackage
from courses.h5p.services import h5p_package_store
from courses.h5p.validation import H5PValidationError, h5p_validate

from .packages import h5p_zip, valid_files

TRICKY_PARTS = [
    "..",
    ".",
    "",
    "content",
    "CONTENT",
    "h5p.json",
    "content.json",
    "H5P.Test-1.0",
    "H5P.Helper-1.2",
    "C:",
    "~",
    "x.js",
    "a.svg",
    "é.png",
    "Ｅ.png",
    "日本.json",
    "a\\..\\b.json",
    ".hidden.json",
    "__MACOSX",
    "library.json",
]
part = st.one_of(st.sampled_from(TRICKY_PARTS), st.text(min_size=1, max_size=12))
tricky_name = st.one_of(
    st.lists(part, min_size=1, max_size=4).map("/".join),
    st.lists(part, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts)),
)
# Names a real package could have, with any Unicode and a mix of allowed and refused types.
plausible_name = st.builds(
    "{}/{}.{}".format,
    st.sampled_from(["content", "content/images", "H5P.Test-1.0", "H5P.Helper-1.2/lib"]),
    st.text(st.characters(exclude_categories=("C",)), min_size=1, max_size=10),
    st.sampled_from(["json", "png", "txt", "mp3", "js", "css", "svg", "php", "html", "PNG"]),
)
name = st.one_of(plausible_name, plausible_name, tricky_name)
is_symlink = st.integers(min_value=0, max_value=9).map(lambda number: number == 0)
entry = st.tuples(name, st.binary(max_size=64), is_symlink)
# For storing, mostly names that pass, so that many examples really write files.
storable_name = st.builds(
    "{}/{}.{}".format,
    st.sampled_from(["content", "content/a/b", "H5P.Test-1.0", "H5P.Helper-1.2/lib"]),
    st.text(st.characters(exclude_categories=("C",)), min_size=1, max_size=10),
    st.sampled_from(["json", "png", "txt", "mp3", "TXT"]),
)
storable_entry = st.tuples(
    # One name in fifteen is a tricky one, one entry in thirty a symbolic link (7, not 0:
    # Hypothesis favours the ends of a range).
    st.integers(min_value=0, max_value=14).flatmap(
        lambda number: tricky_name if number == 7 else storable_name
    ),
    st.binary(max_size=64),
    st.integers(min_value=0, max_value=29).map(lambda number: number == 7),
)


def archive_of(entries, *, base: dict | None = None) -> io.BytesIO:
    files = list((base or {}).items()) + [(entry_name, data) for entry_name, data, _link in entries]
    links = tuple(entry_name for entry_name, _data, link in entries if link)
    return h5p_zip(files, symlinks=links)


@settings(max_examples=300, deadline=None)
@given(entries=st.lists(entry, max_size=8), with_base=st.booleans())
@example(entries=[("../../etc/passwd.txt", b"x", False)], with_base=True)
@example(entries=[("content/a.json", b"{", False)], with_base=True)
def test_random_archives_are_accepted_or_refused_never_crash(entries, with_base):
    try:
        archive = archive_of(entries, base=valid_files() if with_base else None)
    except (ValueError, UnicodeEncodeError):
        return  # zipfile itself cannot write such a name
    try:
        package = h5p_validate(archive)
    except H5PValidationError as error:
        event(error.code)
        assert error.message
    else:
        event("accepted")
        for stored in package.content_files:
            assert stored == "h5p.json" or stored.startswith("content/")
            assert ".." not in stored.split("/")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2048), cut=st.integers(min_value=0, max_value=4000))
def test_random_and_truncated_bytes_are_refused_never_crash(data, cut):
    whole = h5p_zip(valid_files()).getvalue()
    for candidate in (data, whole[:cut], whole[:cut] + data, data + whole):
        with contextlib.suppress(H5PValidationError):
            h5p_validate(io.BytesIO(candidate))


@pytest.mark.django_db
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=st.lists(storable_entry, max_size=4, unique_by=lambda entry: entry[0].casefold()))
def test_stored_files_never_land_outside_their_package_or_library_folder(
    entries, settings, tmp_path
):
    # One media root per test run (Hypothesis reuses the fixtures for every example).
    settings.MEDIA_ROOT = tmp_path / "media"
    try:
        archive = archive_of(entries, base=valid_files(title=f"Random {len(entries)}"))
    except (ValueError, UnicodeEncodeError):
        return
    try:
        h5p_package_store(file=archive)
        event("stored")
    except H5PValidationError as error:
        event(error.code)

    assert {path.name for path in tmp_path.iterdir()} <= {"media"}
    media = (tmp_path / "media").resolve()
    folders = [
        *(media / path for path in H5PPackage.objects.values_list("content_path", flat=True)),
        *(media / path for path in H5PLibrary.objects.values_list("path", flat=True)),
    ]
    for root, _dirs, files in os.walk(media):
        for file_name in files:
            path = Path(root, file_name)
            assert not path.is_symlink()
            resolved = path.resolve()
            assert any(resolved.is_relative_to(folder) for folder in folders), resolved


def test_an_entry_flagged_as_encrypted_is_refused():
    data = bytearray(h5p_zip(valid_files()).getvalue())
    # Set "encrypted" (bit 0 of the flags) on the first entry, in both of its headers:
    # zipfile cannot write encrypted entries itself.
    data[6] |= 0x1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(io.BytesIO(bytes(data)))
    assert refused.value.code == "encrypted"
