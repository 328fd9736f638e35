"""colibri.domain"""
