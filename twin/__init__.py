"""Helion Twin: a simulation-first digital twin of an HP Helion OpenStack (TripleO) cloud."""
__version__ = "0.1.0"
