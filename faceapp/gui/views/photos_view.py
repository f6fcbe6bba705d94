"""The scrolling surface of a photo grid: header lines and lines of tiles, laid out by arithmetic.

QListView lays out items of differing sizes (a header as wide as the grid among square tiles) by
asking every item its size again after every page of rows that arrives: at 10,000 photos that held
the GUI thread for seconds. Here each new row is placed once, where the previous one ended (a full
pass only when the width changes, plain Python over a list), and only the lines in sight are
painted, found by bisection.

Clicks, Return and the arrow keys choose and open photos (`clicked(row)`, `activated(row)`)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip, QWidget

from faceapp.gui.models.photos_model import PhotosModel
from faceapp.gui.qtcompat import emit

MARGIN = 6
GAP = 6


class PhotoGridView(QAbstractScrollArea):
    clicked = Signal(int)  # model row of a photo
    activated = Signal(int)

    def __init__(self, model: PhotosModel, tile: int, header_height: dict[str, int],
                 paint_row: Callable[[QPainter, QRect, int, bool], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.tile = tile
        self.header_height = header_height
        self.paint_row = paint_row
        self.current = -1
        self._tops: list[int] = []  # each line's top, in content pixels
        self._lines: list[tuple[int, int, int]] = []  # (height, first row, last row + 1)
        self._x: list[int] = []  # each row's left edge
        self._line_of: list[int] = []  # each row's line
        self._height = MARGIN
        self._columns = 1
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(40)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(False)
        model.modelReset.connect(self._relayout)
        model.rowsInserted.connect(lambda _p, first, _last: self._place_from(first))
        model.dataChanged.connect(self._changed)

    # -- layout ----------------------------------------------------------------------------------
    def _cell(self) -> int:
        return self.tile + GAP

    def _relayout(self) -> None:
        self._tops, self._lines, self._x, self._line_of = [], [], [], []
        self._height = MARGIN
        self.current = min(self.current, self.model.rowCount() - 1)
        self._columns = max(1, (self.viewport().width() - 2 * MARGIN + GAP) // self._cell())
        self._place_from(0)

    def _place_from(self, first: int) -> None:
        """Place rows first.. after the rows already placed (rows only ever arrive at the end)."""
        rows = self.model.rowCount()
        if first < len(self._x):  # not an append: start again
            self._relayout()
            return
        cell = self._cell()
        for r in range(first, rows):
            kind = self.model.row(r).kind
            if kind in self.header_height:
                self._new_line(self.header_height[kind], r)
                self._x.append(MARGIN)
                self._end_line(r)
                continue
            height, start, end = self._lines[-1] if self._lines else (0, 0, 0)
            open_line = self._lines and self.model.row(start).kind == "photo" and end - start < self._columns
            if not open_line:
                self._new_line(cell, r)
                start = r
            self._x.append(MARGIN + (r - start) * cell)
            self._end_line(r)
        self._height = (self._tops[-1] + self._lines[-1][0] + MARGIN) if self._lines else MARGIN
        self._update_scrollbar()
        self.viewport().update()

    def _new_line(self, height: int, row: int) -> None:
        top = self._tops[-1] + self._lines[-1][0] if self._lines else MARGIN
        self._tops.append(top)
        self._lines.append((height, row, row))

    def _end_line(self, row: int) -> None:
        h, start, _ = self._lines[-1]
        self._lines[-1] = (h, start, row + 1)
        self._line_of.append(len(self._lines) - 1)

    def _update_scrollbar(self) -> None:
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setRange(0, max(0, self._height - self.viewport().height()))
        self._maybe_fetch()

    def _maybe_fetch(self) -> None:
        """Ask for the next page when the end is less than two screens away."""
        bar = self.verticalScrollBar()
        if self.model.canFetchMore(QModelIndex()) and bar.value() + 3 * self.viewport().height() >= self._height:
            self.model.fetchMore(QModelIndex())

    def row_rect(self, row: int) -> QRect:
        """Where a row is drawn, in viewport pixels."""
        line = self._line_of[row]
        height, _, _ = self._lines[line]
        top = self._tops[line] - self.verticalScrollBar().value()
        if self.model.row(row).kind in self.header_height:
            return QRect(MARGIN, top, self.viewport().width() - 2 * MARGIN, height)
        return QRect(self._x[row], top, self.tile, self.tile)

    def row_at(self, x: int, y: int) -> int:
        """The photo row under a viewport point, or -1."""
        line = bisect_right(self._tops, y + self.verticalScrollBar().value()) - 1
        if line < 0:
            return -1
        _, start, end = self._lines[line]
        for r in range(start, end):
            if self.model.row(r).photo is not None and self.row_rect(r).contains(x, y):
                return r
        return -1

    def visible_rows(self) -> range:
        if not self._lines:
            return range(0)
        top = self.verticalScrollBar().value()
        first = max(0, bisect_right(self._tops, top) - 1)
        last = max(0, bisect_right(self._tops, top + self.viewport().height()) - 1)
        return range(self._lines[first][1], self._lines[last][2])

    # -- Qt events -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        clip = event.rect()
        for r in self.visible_rows():
            rect = self.row_rect(r)
            if rect.intersects(clip):
                self.paint_row(painter, rect, r, r == self.current)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        columns = max(1, (self.viewport().width() - 2 * MARGIN + GAP) // self._cell())
        if columns != self._columns:
            self._relayout()
        else:
            self._update_scrollbar()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()
        self._maybe_fetch()

    def _changed(self, first: QModelIndex, last: QModelIndex, roles: object = None) -> None:
        shown = self.visible_rows()
        if first.row() < shown.stop and last.row() >= shown.start:
            self.viewport().update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        row = self.row_at(int(event.position().x()), int(event.position().y()))
        if row >= 0:
            self.set_current(row)
            emit(self.clicked, row)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -self._columns,
                Qt.Key.Key_Down: self._columns}.get(Qt.Key(key))
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current >= 0:
            emit(self.activated, self.current)
        elif step is not None:
            self._step(step)
        else:
            super().keyPressEvent(event)

    def _step(self, step: int) -> None:
        """The next photo that way (headers skipped)."""
        rows = self.model.rowCount()
        r = self.current if self.current >= 0 else -1 if step > 0 else rows
        r += 1 if step > 0 else -1
        moved = 0
        while 0 <= r < rows:
            if self.model.row(r).photo is not None:
                moved += 1
                if moved >= abs(step) or step in (-1, 1):
                    self.set_current(r)
                    return
            r += 1 if step > 0 else -1

    def set_current(self, row: int) -> None:
        self.current = row
        if 0 <= row < len(self._line_of):
            rect = self.row_rect(row)
            bar = self.verticalScrollBar()
            if rect.top() < 0:
                bar.setValue(bar.value() + rect.top() - MARGIN)
            elif rect.bottom() > self.viewport().height():
                bar.setValue(bar.value() + rect.bottom() - self.viewport().height() + MARGIN)
        self.viewport().update()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()
            row = self.row_at(pos.x(), pos.y())
            text = self.model.data(self.model.index(row), Qt.ItemDataRole.ToolTipRole) if row >= 0 else None
            if text:
                QToolTip.showText(event.globalPos(), str(text), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)
