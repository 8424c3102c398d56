"""Pages of the dashboard app (thin: parse, call a service or selector, render)."""
