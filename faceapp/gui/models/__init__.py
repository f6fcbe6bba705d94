"""Thin Qt item models over plain lists of faceapp.gui.services dataclasses."""
