"""Definitions: reading and validating the indicator-set files under `indicators/`.

Pure reading: nothing here touches the database. services.seeding writes what is read.
"""
