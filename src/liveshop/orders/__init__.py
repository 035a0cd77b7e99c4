"""Orders, after-sales and lucky draws."""
