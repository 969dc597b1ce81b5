"""Replacing a whole folder at once, so readers never see half of one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by the finished folder ``new`` with renames.

    The old folder is moved aside first; if moving ``new`` in fails, the old one is put
    back, so ``target`` is either wholly old or wholly new.
    """
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
