"""The one analyze pipeline every entry point runs: known list -> discovery -> repair ->
score -> findings -> restored text (`engine.analyze`), with the calibrated confidence
model and the document score in `score`.

It lives above the stages (`unspin.discovery`, `unspin.repair`), not in `unspin.core`:
it imports them, and they import the core, so inside the core it would close a circle.
"""
