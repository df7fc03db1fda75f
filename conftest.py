"""Root pytest configuration: make this checkout importable as the ``cloudsec.s3`` collection.

Plugins import each other as ``ansible_collections.cloudsec.s3.plugins...``. The collection root is the
repository root, so a symlink ``.tmp/collections/ansible_collections/cloudsec/s3 -> <repo>`` (the same one
the Makefile and ansible.cfg use for ansible-playbook) is put on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent
COLLECTIONS_ROOT = REPO / ".tmp" / "collections"


def _link_collection() -> None:
    link = COLLECTIONS_ROOT / "ansible_collections" / "cloudsec" / "s3"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(REPO, link, target_is_directory=True)
        except FileExistsError:  # another xdist worker won the race
            pass
    if str(COLLECTIONS_ROOT) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_ROOT))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


_link_collection()
