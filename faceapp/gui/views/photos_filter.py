"""Choose people for a photo filter: a combo to add a person (type to search), and a removable
chip for each one chosen. Two of them make the Photos page's "with … without …"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLabel, QPushButton, QWidget

from faceapp.gui.qtcompat import emit, variant
from faceapp.types import Person, person_label


class PeopleChips(QWidget):
    changed = Signal()

    def __init__(self, title: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = hint
        self._labels: dict[int, str] = {}
        self._chosen: list[int] = []
        self.chips: dict[int, QPushButton] = {}
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumContentsLength(14)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        completer = self.combo.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.lineEdit().setPlaceholderText(hint)
        self.combo.activated.connect(self._picked)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.addWidget(QLabel(title))
        self._lay.addWidget(self.combo)

    def set_people(self, people: Sequence[Person]) -> None:
        """The people one can pick (a chosen person who is gone is dropped)."""
        self._labels = {p.id: p.label for p in people}
        self.combo.blockSignals(True)
        self.combo.clear()
        for p in people:
            self.combo.addItem(p.label, p.id)
        self.combo.setCurrentIndex(-1)
        self.combo.lineEdit().clear()
        self.combo.blockSignals(False)
        gone = [i for i in self._chosen if i not in self._labels]
        if gone:
            self.set_ids([i for i in self._chosen if i in self._labels])
        else:
            for pid, chip in self.chips.items():
                chip.setText(f"{self._labels[pid]}  ✕")

    def ids(self) -> list[int]:
        return list(self._chosen)

    def set_ids(self, ids: Sequence[int], quiet: bool = False) -> None:
        for chip in self.chips.values():
            self._drop(chip)
        self.chips.clear()
        self._chosen = []
        for pid in ids:
            self._add(pid)
        if not quiet:
            emit(self.changed)

    def add(self, person_id: int) -> None:
        if person_id not in self._chosen:
            self._add(person_id)
            emit(self.changed)

    def remove(self, person_id: int) -> None:
        if person_id in self._chosen:
            self._chosen.remove(person_id)
            self._drop(self.chips.pop(person_id))
            emit(self.changed)

    def _drop(self, chip: QPushButton) -> None:
        """Gone from the row now (deleteLater alone would leave it shown until the loop turns)."""
        self._lay.removeWidget(chip)
        chip.hide()
        chip.deleteLater()

    def _add(self, person_id: int) -> None:
        self._chosen.append(person_id)
        chip = QPushButton(f"{self._labels.get(person_id) or person_label(person_id, None)}  ✕")
        chip.setToolTip("Remove from the filter")
        chip.setFlat(False)
        chip.clicked.connect(lambda _=False, pid=person_id: self.remove(pid))
        self._lay.insertWidget(self._lay.count() - 1, chip)
        self.chips[person_id] = chip

    def _picked(self, row: int) -> None:
        pid = variant(self.combo.itemData(row))
        self.combo.setCurrentIndex(-1)
        self.combo.lineEdit().clear()
        if pid is not None:
            self.add(int(pid))
