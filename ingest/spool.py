"""The disk spool: where accepted items go when the database cannot take them, until it can.

One file per failed batch under DATA_DIR/spool, written to a temporary name, fsynced, renamed, and the folder
fsynced, so a file that exists is complete. File names are fresh UUIDs made here: nothing a client sent ever
becomes part of a path, and replay only opens names that parse as a UUID. Each record is a JSON header line
(project, type, event id, received time, payload length) followed by the payload and a newline.
"""

import contextlib
import fcntl
import logging
import os
import uuid
from datetime import datetime
from pathlib import Path

import orjson

from ingest import metrics
from ingest.cleaning import parse_uuid
from ingest.rows import InboxRow
from projects.options import option

log = logging.getLogger(__name__)

SUFFIX = ".spool"


def spool_dir() -> Path:
    return Path(option("DATA_DIR")) / "spool"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spool_rows(rows: list[InboxRow]) -> bool:
    """Write `rows` durably to disk; False when even that fails (the caller then answers 503)."""
    directory = spool_dir()
    name = uuid.uuid4().hex
    temporary, final = directory / f"{name}.tmp", directory / f"{name}{SUFFIX}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            for row in rows:
                header = {
                    "project_id": row.project_id,
                    "item_type": row.item_type,
                    "event_id": row.event_id.hex,
                    "received_at": row.received_at.isoformat(),
                    "length": len(row.payload),
                }
                file.write(orjson.dumps(header) + b"\n" + row.payload + b"\n")
            file.flush()
            os.fsync(file.fileno())
        os.rename(temporary, final)
        _fsync_dir(directory)
        metrics.spooled.inc(len(rows))
        return True
    except OSError:
        log.error("ingest: could not write to the disk spool %s", directory, exc_info=True)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False


def _read(data: bytes) -> list[InboxRow]:
    rows, offset = [], 0
    while offset < len(data):
        end = data.index(b"\n", offset)
        header = orjson.loads(data[offset:end])
        payload = data[end + 1 : end + 1 + header["length"]]
        offset = end + 2 + header["length"]
        event_id = parse_uuid(header["event_id"])
        if event_id is None or len(payload) != header["length"]:
            raise ValueError("damaged record")
        rows.append(
            InboxRow(
                project_id=int(header["project_id"]),
                item_type=str(header["item_type"]),
                event_id=event_id,
                received_at=datetime.fromisoformat(header["received_at"]),
                payload=payload,
            )
        )
    return rows


def spooled_files() -> list[Path]:
    try:
        return sorted(
            path for path in spool_dir().glob(f"*{SUFFIX}") if parse_uuid(path.name.removesuffix(SUFFIX)) is not None
        )
    except OSError:
        return []


def replay(write) -> int:
    """Hand every spooled file's rows to `write` (which commits them or raises) and delete the file after.

    A file is replayed by one process at a time: it is locked (flock) while replayed, and one that another process
    holds is left to it. The lock goes with the process, so a replayer that dies frees its file for the next.
    Stops at the first failure, leaving that file and the rest for the next attempt. Returns rows replayed.
    """
    replayed = 0
    for path in spooled_files():
        try:
            file = open(path, "rb")  # noqa: SIM115 (held open for its lock while the rows are written)
        except FileNotFoundError:
            continue  # another process replayed it
        with file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another process is replaying it
            if not path.exists():
                continue  # replayed and deleted between our listing and our lock
            try:
                rows = _read(file.read())
            except (OSError, ValueError, KeyError, TypeError):
                log.error("ingest: spool file %s is damaged; moved aside for inspection", path.name)
                path.rename(path.with_suffix(".damaged"))
                continue
            write(rows)
            path.unlink(missing_ok=True)
        replayed += len(rows)
    if replayed:
        _fsync_dir(spool_dir())
    return replayed
