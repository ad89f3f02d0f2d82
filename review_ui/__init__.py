"""sohoa review_ui package."""
