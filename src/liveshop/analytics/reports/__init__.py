"""The reports: plain service functions over an ``Engine``, returning dataclasses."""
