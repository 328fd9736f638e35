"""colibri.engine"""
