"""sohoa pipeline package."""
