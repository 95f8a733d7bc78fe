"""Packaging: every package the code imports directly is listed, every listed package is pinned in the lock
(constraints.txt), and the rate limiter's storage uses no private name of the library it builds on."""
import re
import time
from pathlib import Path

from api.ratelimit_storage import InlineExpiryMemoryStorage

ROOT = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s#]+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_direct_imports_are_listed_and_everything_is_locked():
    runtime = pins(ROOT / "requirements.txt")
    for name in ("werkzeug", "click", "jinja2", "markupsafe", "branca", "limits", "flask-compress",
                 "standardwebhooks"):
        assert name in runtime, name
    lock = pins(ROOT / "constraints.txt")
    for path in ("requirements.txt", "requirements-dev.txt"):
        for name, version in pins(ROOT / path).items():
            assert lock.get(name) == version, (path, name, version, lock.get(name))


def test_rate_limit_storage_uses_only_the_public_interface():
    mangled = [name for name in vars(InlineExpiryMemoryStorage) if "__" in name.strip("_")]
    assert not mangled
    assert "MemoryStorage" not in [base.__name__ for base in InlineExpiryMemoryStorage.__mro__]


def test_rate_limit_storage_counts_a_window_and_forgets_it():
    storage = InlineExpiryMemoryStorage()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") > time.time()
    storage.incr("short", 0.0)  # a window already over
    assert storage.get("short") == 0
    storage.clear("k")
    assert storage.get("k") == 0
