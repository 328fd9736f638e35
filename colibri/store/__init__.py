"""colibri.store"""
