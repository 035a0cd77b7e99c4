"""Qualifications: category licences a shop holds (``grants``), hosts' identity
checks and gift caps (``identity``), and their tables (``models``)."""
