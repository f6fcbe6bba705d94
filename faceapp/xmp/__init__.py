"""XMP face regions as a file format: reading, writing and merging MWG/Microsoft regions and sidecars.

No database here: faceapp.jobs.xmp_import and faceapp.jobs.export put these to work on a library.
"""
