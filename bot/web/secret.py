"""The key dashboard links are signed with: $LRQUIZ_WEB_SECRET, else a file by the database.

Front ends that hand out links and the dashboard that checks them must share it; both find
it from the database path, so running them on one database needs no extra setting.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from storage.errors import StorageError

SECRET_ENV = "LRQUIZ_WEB_SECRET"
URL_ENV = "LRQUIZ_WEB_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def secret_path(db_path: str | Path) -> Path:
    """`<database>.web-secret`, beside the database file."""
    if str(db_path).strip().lower().startswith(("postgresql://", "postgres://")):
        raise StorageError(
            f"with a PostgreSQL database set {SECRET_ENV} (the same value for the bots and the "
            "dashboard): there is no database file to keep the link key beside"
        )
    db = Path(db_path).expanduser()
    return db.with_name(db.name + ".web-secret")


def load_secret(db_path: str | Path, environ: dict[str, str] | None = None) -> bytes:
    """The signing key; generated once (mode 0600) when neither the variable nor the file
    exists. StorageError, naming the file, when it can be neither read nor created."""
    env = os.environ if environ is None else environ
    if env.get(SECRET_ENV):
        return env[SECRET_ENV].encode()
    path = secret_path(db_path)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StorageError(f"{path}: cannot read the web secret ({exc.strerror})") from None
    # Written whole under a temporary name, then linked into place: a reader never sees a
    # half-written key, and of two processes racing, both end up with the first one's.
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as exc:
        raise StorageError(
            f"{path}: cannot create the web secret ({exc.strerror}); set {SECRET_ENV} instead"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if not text:
        raise StorageError(f"{path}: the web secret file is empty; delete it to make a new one")
    return text.encode()


def base_url(environ: dict[str, str] | None = None, default: str = DEFAULT_BASE_URL) -> str:
    env = os.environ if environ is None else environ
    return (env.get(URL_ENV) or default).rstrip("/")
