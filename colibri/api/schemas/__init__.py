"""The API's request and response bodies, apart from the domain's types they map to.

Per resource, as the FastAPI template names them: ``…Base`` (what a user chooses),
``…Create``, ``…Update`` (a partial change), ``…Public`` (what is shown).
"""
