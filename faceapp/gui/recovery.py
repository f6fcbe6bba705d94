"""A damaged library never closes the app: its problem is shown and the newest good backup offered.

Used when the app starts and when another library is opened (File → Open library, Open recent).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from faceapp.storage.backup import newest_good_backup, restore_library
from faceapp.storage.integrity import library_problems

Ask = Callable[[str], bool]  # the question → the user's yes/no (tests answer without a dialog)


def ask_dialog(parent: QWidget | None) -> Ask:
    def ask(text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "faceapp: damaged library", text, parent=parent)
        restore = box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is restore

    return ask


def tell_dialog(parent: QWidget | None) -> Callable[[str], None]:
    return lambda text: QMessageBox.critical(parent, "faceapp: damaged library", text)


def usable_library(path: str | Path, ask: Ask, tell: Callable[[str], None]) -> bool:
    """True when `path` can be opened: it is sound, or the user restored its newest good backup.
    Raises NotALibrary for another program's file or a newer faceapp's library (the caller says so)."""
    problems = library_problems(path)
    if not problems:
        return True
    shown = "\n".join(f"• {p}" for p in problems[:5])
    good = newest_good_backup(path)
    if good is None:
        tell(f"The library {path} is damaged:\n{shown}\n\nNo good backup of it was found in "
             f"{Path(path).resolve().parent / 'backups'}. The file is left as it is.")
        return False
    question = (f"The library {path} is damaged:\n{shown}\n\nRestore its newest good backup, "
                f"{good.name}? Changes made after that backup are lost; the damaged file is kept "
                "(as a backup, or beside the library as .damaged-…).")
    if not ask(question):
        return False
    restore_library(path, good)
    return not library_problems(path)
