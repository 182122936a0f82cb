"""The embedded default's secret key: generated once and kept in the data folder.

Production must set SECRET_KEY; the embedded run should not ask a first-time user for one, yet must not use a
key that is published in the source either.
"""

from pathlib import Path

from django.utils.crypto import get_random_string


def embedded_secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = get_random_string(64, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#%^&*(-_=+)")
    path.write_text(key)
    path.chmod(0o600)
    return key
