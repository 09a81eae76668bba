"""Reading and writing bundle files: a deterministic zip, a safe reader for a zip or a folder,
and strict JSON (no floats, no repeated keys). Part of :mod:`voting.bundle`."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, Mapping

from .errors import VotingError

#: Limits when reading a bundle: nothing legitimate comes near them.
MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 512 * 2**20
MAX_TOTAL_BYTES = 2 * 2**30
#: Fixed zip entry time (the earliest a zip can hold), so equal content gives equal bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BundleReadError(VotingError):
    """A path that is not a readable bundle: missing, neither a zip nor a folder, unsafe."""


def bundle_zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip of *files*: sorted entries, fixed times and modes, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, files[path], compresslevel=9)
    return buf.getvalue()


def write_bundle_zip(files: Mapping[str, bytes], path: str | Path) -> None:
    """Write :func:`bundle_zip_bytes` to *path*."""
    Path(path).write_bytes(bundle_zip_bytes(files))


def safe_path(name: str) -> bool:
    """Whether *name* is a relative ``/`` path with no empty, ``.`` or ``..`` part."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name or ":" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def read_bundle(path: str | Path) -> dict[str, bytes]:
    """The files of a bundle zip or unpacked folder, path to bytes; BundleReadError if unreadable."""
    path = Path(path)
    if not os.path.lexists(path):
        raise BundleReadError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise BundleReadError(f"{path}: neither a zip file nor a folder")
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise BundleReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not is_zip:
        raise BundleReadError(f"{path}: neither a zip file nor a folder")
    try:
        return _read_zip(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise BundleReadError(f"{path}: damaged zip file: {exc}") from None


def _read_zip(path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise BundleReadError(f"{path}: {len(infos)} entries, more than a bundle holds ({MAX_ENTRIES})")
        for info in infos:
            name = info.filename
            if name.endswith("/"):
                if not safe_path(name[:-1]):
                    raise BundleReadError(f"{path}: unsafe entry name {name!r}")
                continue
            if not safe_path(name):
                raise BundleReadError(f"{path}: unsafe entry name {name!r}")
            if name in files:
                raise BundleReadError(f"{path}: entry {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise BundleReadError(f"{path}: entry {name!r} is encrypted")
            if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                raise BundleReadError(f"{path}: entry {name!r} is too large ({info.file_size} bytes)")
            chunks, size = [], 0
            with zf.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    size += len(chunk)
                    if size > info.file_size or size > MAX_FILE_BYTES:
                        raise BundleReadError(f"{path}: entry {name!r} unpacks to more than it declares")
                    chunks.append(chunk)
            total += size
            files[name] = b"".join(chunks)
    return files


def _read_folder(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                raise BundleReadError(f"{os.path.join(dirpath, d)}: a symbolic link; a bundle holds only files")
        dirnames.sort()
        for f in sorted(filenames):
            full = os.path.join(dirpath, f)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if os.path.islink(full) or not os.path.isfile(full):
                raise BundleReadError(f"{full}: not a regular file (a bundle holds only files)")
            if len(files) >= MAX_ENTRIES:
                raise BundleReadError(f"{root}: more than {MAX_ENTRIES} files")
            size = os.path.getsize(full)
            if size > MAX_FILE_BYTES or total + size > MAX_TOTAL_BYTES:
                raise BundleReadError(f"{full}: too large ({size} bytes)")
            try:
                files[rel] = Path(full).read_bytes()
            except OSError as exc:
                raise BundleReadError(f"{full}: cannot read: {exc.strerror or exc}") from None
            total += size
    return files


# --------------------------------------------------------------------------- strict JSON


def _no_float(text: str):
    raise ValueError(f"number {text} is not exact (floats are not allowed; write amounts as text)")


def _no_constant(text: str):
    raise ValueError(f"{text} is not allowed")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice")
        out[key] = value
    return out


def loads_strict(data: bytes) -> Any:
    """Parse UTF-8 JSON refusing floats, NaN and repeated keys (ValueError with the reason)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_float=_no_float, parse_constant=_no_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
