"""A QListView set up as a grid of tiles: uniform sizes and batched layout keep huge lists cheap."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractItemView, QListView


def make_grid(icon: int = 96, caption_lines: int = 0, multi: bool = False) -> QListView:
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(200)
    view.setIconSize(QSize(icon, icon))
    view.setGridSize(QSize(icon + 24, icon + 12 + 18 * caption_lines))
    view.setWordWrap(True)
    view.setSpacing(4)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection if multi else QAbstractItemView.SelectionMode.SingleSelection
    )
    return view
