"""zhili (治理): the integrated governance platform of a Chinese district."""

__version__ = "0.1.0"
