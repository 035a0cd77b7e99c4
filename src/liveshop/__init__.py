"""LiveShop: an open-source live-commerce platform."""

__version__ = "0.1.0"
