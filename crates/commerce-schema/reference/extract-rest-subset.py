#!/usr/bin/env python3
"""Writes an excerpt of Adobe's admin REST Swagger (YAML) as JSON: the given paths and methods,
and every definition they reference, content unchanged. Run by hand when the subset grows;
nothing reads Adobe's file at build or test time.

usage: extract-rest-subset.py ADMIN_SCHEMA_YAML OUT_JSON 'METHOD /path' ...
"""
import json
import sys

import yaml


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def main():
    source, out, *wanted = sys.argv[1:]
    swagger = yaml.safe_load(open(source))
    paths = {}
    for entry in wanted:
        method, path = entry.split(" ", 1)
        paths.setdefault(path, {})[method.lower()] = swagger["paths"][path][method.lower()]
    names, pending = set(), set()
    refs(paths, pending)
    while pending:
        name = pending.pop()
        if name in names:
            continue
        names.add(name)
        refs(swagger["definitions"][name], pending)
    subset = {
        "swagger": swagger["swagger"],
        "info": swagger["info"],
        "basePath": swagger.get("basePath"),
        "paths": paths,
        "definitions": {n: swagger["definitions"][n] for n in sorted(names)},
    }
    with open(out, "w") as f:
        json.dump(subset, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
