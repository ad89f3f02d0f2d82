"""sohoa flows package."""
