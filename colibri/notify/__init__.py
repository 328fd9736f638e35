"""colibri.notify"""
