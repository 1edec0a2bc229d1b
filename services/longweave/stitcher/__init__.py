"""Stitcher: asks for segments one after another, then stitches them into one record."""
