"""Pages of the textintel app (thin: parse, call a service or selector, render)."""
