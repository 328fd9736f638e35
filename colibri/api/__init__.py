"""colibri.api"""
