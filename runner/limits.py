"""Resource limits for one job, shared by the server (validation, cache key) and the zygote."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    """Per-job limits; every field that can change a result is part of the cache key."""

    default_timeout_s: float = 5.0
    max_timeout_s: float = 30.0
    max_code_bytes: int = 64 * 1024
    max_body_bytes: int = 256 * 1024
    stdout_bytes: int = 64 * 1024
    stderr_bytes: int = 64 * 1024
    memory_mb: int = 512
    max_procs: int = 32
    max_open_files: int = 256
    tmpfs_mb: int = 16
    max_seed: int = 2**32 - 1

    def fingerprint(self) -> dict[str, float | int]:
        """The limits that shape what a snippet can do (not request validation bounds)."""
        data = asdict(self)
        for key in ("default_timeout_s", "max_timeout_s", "max_code_bytes", "max_body_bytes"):
            data.pop(key)
        return data

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, float | int]) -> Limits:
        return cls(**data)  # type: ignore[arg-type]
