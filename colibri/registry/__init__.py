"""colibri.registry"""
