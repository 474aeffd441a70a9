"""Object store: artifacts by '/'-separated key, on local disk or S3.

Every write publishes a complete object or nothing: a reader never sees half a file, and a failed
write leaves no temporary file behind. Each write returns the content's sha256 so callers can
record what a model or a decision depended on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
from typing_extensions import override

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


class ObjectStoreError(RuntimeError):
    """The object store refused or could not complete a request; the message says why."""


class ObjectNotFound(ObjectStoreError, KeyError):
    """No object exists under the requested key; the message names its URI."""

    def __str__(self) -> str:
        # KeyError would otherwise print the message quoted like a dictionary key.
        return str(self.args[0]) if self.args else ""


class ObjectStoreUnavailable(ObjectStoreError):
    """The store's endpoint did not answer; retrying later may succeed."""


@dataclass(frozen=True)
class StoredObject:
    """A published object: where it lives and what it contains."""

    key: str
    uri: str
    sha256: str
    size: int


def validate_key(key: str) -> str:
    """Returns ``key`` when it is a relative '/'-separated key, else raises ``ValueError``.

    Segments may not be empty or start with '.', which rules out '..' escapes and keeps the
    names of in-flight temporary files apart from real keys.
    """
    segments = key.split("/")
    if not key or any(not s or s.startswith(".") or "\\" in s for s in segments):
        raise ValueError(f"Invalid object key {key!r}: use relative '/'-separated names.")
    return key


def file_sha256(handle: IO[bytes]) -> tuple[str, int]:
    """Returns the sha256 hex digest and size of a binary file, read from its start."""
    handle.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def _is_text(type_: pa.DataType) -> bool:
    return (
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or (pa.types.is_dictionary(type_))
    )


def _json_default(value: Any) -> Any:
    # NumPy scalars (metrics straight from a model) become numbers rather than strings.
    return value.item() if hasattr(value, "item") else str(value)


class ObjectStore(ABC):
    """Keyed artifact storage with all-or-nothing writes."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """Returns the absolute URI of ``key`` (``file://...`` or ``s3://...``)."""

    @abstractmethod
    def _write(self, key: str, fill: Callable[[IO[bytes]], Any]) -> StoredObject:
        """Publishes what ``fill`` writes into a private buffer as one complete object."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Returns the object's content; raises ``ObjectNotFound`` when it does not exist."""

    @abstractmethod
    def etag(self, key: str) -> str:
        """A short tag that changes when the object is replaced, read without its content.

        Raises ``ObjectNotFound`` when no object is published under ``key``.
        """

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Tells whether an object is published under ``key``."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Returns the sorted keys that start with ``prefix``."""

    def list_etags(self, prefix: str = "") -> dict[str, str]:
        """Every key that starts with ``prefix`` with its ``etag``, sorted by key, without
        reading any content: a sensor's tick sees what changed in one listing."""
        return {key: self.etag(key) for key in self.list(prefix)}

    @abstractmethod
    def delete(self, key: str) -> None:
        """Removes the object; deleting a missing key is not an error."""

    def delete_prefix(self, prefix: str) -> int:
        """Removes every object whose key starts with ``prefix`` and returns how many."""
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Publishes ``data`` under ``key``, replacing any previous object."""
        return self._write(key, lambda f: f.write(data))

    def put_file(self, key: str, path: Path) -> StoredObject:
        """Publishes a local file, streamed rather than loaded into memory."""
        with open(path, "rb") as src:
            return self._write(key, lambda f: shutil.copyfileobj(src, f, _CHUNK))

    def put_table(self, key: str, table: pa.Table) -> StoredObject:
        """Publishes an Arrow table as parquet.

        Text is dictionary-encoded (on numbers it costs time and rarely saves space). Min/max
        statistics are kept for every column except floating-point measures: readers prune on
        ids, timestamps and labels, and float statistics cost a sixth of the write time.
        """
        text, keyed = [], []
        for field in table.schema:
            if _is_text(field.type):
                text.append(field.name)
            if not pa.types.is_floating(field.type):
                keyed.append(field.name)
        return self._write(
            key,
            lambda f: pq.write_table(
                table, f, use_dictionary=text or False, write_statistics=keyed or False
            ),
        )

    def get_table(self, key: str, columns: list[str] | None = None) -> pa.Table:
        """Reads a parquet object as an Arrow table, optionally only some ``columns``."""
        # ParquetFile skips read_table's dataset machinery, which costs more than a small file.
        return pq.ParquetFile(pa.BufferReader(self.get_bytes(key))).read(columns=columns)

    def put_parquet(self, key: str, df: pd.DataFrame) -> StoredObject:
        """Publishes a DataFrame as parquet."""
        return self.put_table(key, pa.Table.from_pandas(df))

    def get_parquet(self, key: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Reads a parquet object as a DataFrame, optionally only some ``columns``."""
        return self.get_table(key, columns).to_pandas()

    def put_json(self, key: str, obj: Any) -> StoredObject:
        """Publishes ``obj`` as JSON with sorted keys, so equal content hashes equally."""
        text = json.dumps(obj, sort_keys=True, indent=2, default=_json_default) + "\n"
        return self.put_bytes(key, text.encode())

    def get_json(self, key: str) -> Any:
        """Reads a JSON object."""
        return json.loads(self.get_bytes(key))


class LocalObjectStore(ObjectStore):
    """Objects as files under ``root``; each write is a temp file renamed into place."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    @override
    def uri(self, key: str) -> str:
        return _file_uri(self._path(key))

    def _write(self, key: str, fill: Callable[[IO[bytes]], Any]) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the target so that os.replace is an atomic rename.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w+b") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
                sha256, size = file_sha256(handle)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)
        logger.debug("Published %s (%d bytes)", path, size)
        return StoredObject(key=key, uri=_file_uri(path), sha256=sha256, size=size)

    @override
    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(f"No object at {self.uri(key)}.") from None

    @override
    def etag(self, key: str) -> str:
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"No object at {self.uri(key)}.") from None
        # Every write renames a new file into place: a new inode, size or time is a new object.
        return f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"

    @override
    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    @override
    def list(self, prefix: str = "") -> list[str]:
        # Walk only the deepest directory the prefix names, then filter by the full prefix.
        folder = prefix.rpartition("/")[0]
        directory = self._path(folder) if folder else self.root
        if not directory.is_dir():
            return []
        relative = (p.relative_to(self.root) for p in directory.rglob("*") if p.is_file())
        keys = (r.as_posix() for r in relative if not any(s.startswith(".") for s in r.parts))
        return sorted(k for k in keys if k.startswith(prefix))

    @override
    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _file_uri(path: Path) -> str:
    # Path.as_uri() escapes '=', which would turn dt=2026-01-01 into dt%3D2026-01-01.
    return "file://" + quote(path.as_posix(), safe="/=+,;:@!$&'()*~")


def _fsync_directory(directory: Path) -> None:
    """Makes a rename durable; some filesystems do not support fsync on directories."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
