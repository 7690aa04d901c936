"""What the commands tell the operator besides their own results, worded once for all of them."""

from __future__ import annotations

from pathlib import Path


def key_file_created(path: Path) -> str:
    """The key file was just made: the one copy of what unlocks the answers (one line, both languages)."""
    return (f"已创建密钥文件 {path}（权限 0600）：请备份，并与数据库分开保存；没有它，答卷无法解密。"
            f" / Created the key file {path} (mode 0600): back it up, apart from the database; without it "
            "the answers cannot be read.")
