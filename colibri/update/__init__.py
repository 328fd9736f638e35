"""colibri.update"""
