"""Why a write to disk failed: a full disk and a folder we may not write to are told apart
from damage, because the advice differs (free space, fix permissions - never "rebuild")."""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

# Below this much free space a failed write is put down to a full disk.
LOW_DISK_BYTES = 16 * 1024 * 1024
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_DENIED_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}


@dataclass(frozen=True)
class DiskProblem:
    where: Path  # the nearest existing folder of the path written to
    full: bool  # else: not writable
    free_mb: int


def disk_problem(folder: Path, exc: BaseException | None = None) -> DiskProblem | None:
    """A full disk or an unwritable folder at `folder`, from the error chain (errno, or the
    words native libraries use) and from the file system itself; None when neither."""
    codes: set[int] = set()
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno is not None:
            codes.add(exc.errno)
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text or "os error 28" in text:
            codes.add(errno.ENOSPC)
        if "readonly database" in text or "read-only file system" in text:
            codes.add(errno.EROFS)
        exc = exc.__cause__ or exc.__context__
    where = folder
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        free = shutil.disk_usage(where).free
        read_only = bool(os.statvfs(where).f_flag & os.ST_RDONLY)
    except OSError:
        free, read_only = LOW_DISK_BYTES, False
    if codes & _FULL_ERRNOS or free < LOW_DISK_BYTES:
        return DiskProblem(where, full=True, free_mb=free // (1024 * 1024))
    if read_only or codes & _DENIED_ERRNOS or not os.access(where, os.W_OK):
        return DiskProblem(where, full=False, free_mb=free // (1024 * 1024))
    return None
