"""Pages of the cases app (thin: parse, call a service or selector, render)."""
