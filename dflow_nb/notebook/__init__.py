"""The notebook faces: ``%dflow`` magics, the live view, reuse and debug widgets, display bundles.

Everything here reads runs through ``Workflow`` (records and incremental node queries) and acts
through it, so a local run and an Argo run look and behave the same.
"""
