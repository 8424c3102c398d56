"""Reference implementations that only tests and benchmarks use (never the product): each checks a
product engine by computing the same thing another way."""
