"""Pages of the enterprises app (thin: parse, call a service or selector, render)."""
