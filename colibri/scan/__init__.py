"""colibri.scan"""
