"""Job profiles as they come from outside. From the API and chat a profile is a built-in name, or a file
the caller uploads (stored in the service's own folder, size-capped); never a path on the server, which
would let a caller read /dev/zero or probe which files exist. Only the command line reads local files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .analysis.profiles import ALIASES, BUILT_IN, Profile, ProfileError, load_profile

MAX_PROFILE_BYTES = 64 * 1024
SUFFIXES = (".toml", ".json", ".txt", ".md")


def named(spec: str) -> Profile:
    """A built-in profile by name or alias; ProfileError naming the choices for anything else."""
    key = spec.strip().lower()
    key = ALIASES.get(key, key)
    if key not in BUILT_IN:
        names = ", ".join(sorted(BUILT_IN))
        raise ProfileError(
            f"unknown profile {spec[:40]!r}: use one of {names}, or upload a .toml/.json/.txt profile file"
        )
    return BUILT_IN[key]


def store_uploaded(data: bytes, filename: str, data_dir: Path) -> str:
    """An uploaded profile checked and kept (content-addressed, 0600) under data_dir/profiles; returns
    what the interview's `profile` column holds."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise ProfileError(f"a profile file must be one of {', '.join(SUFFIXES)}")
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(f"the profile file is larger than {MAX_PROFILE_BYTES // 1024} KiB")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError("the profile file is not UTF-8 text") from None
    folder = data_dir / "profiles"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = Path(filename).stem[:40] or "profile"
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}-{_safe(stem)}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.chmod(0o600)
        tmp.replace(path)
    try:
        load_profile(str(path))
    except ProfileError:
        path.unlink(missing_ok=True)
        raise
    return str(path)


def is_stored(spec: str, data_dir: Path) -> bool:
    """A profile file this service stored itself (an earlier upload)."""
    path = Path(spec)
    return path.parent == data_dir / "profiles" and path.is_file()


def _safe(stem: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)
