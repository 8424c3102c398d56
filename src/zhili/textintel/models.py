"""Models of the textintel app."""
