"""Code specific to the SOCEIS evaluation (Cardiff University, 2023-2024)."""
