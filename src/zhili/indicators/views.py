"""Pages of the indicators app (thin: parse, call a service or selector, render)."""
