"""What a module's source imports, for the layering tests (test_architecture.py, test_layers.py)."""

import ast
from collections.abc import Iterator


def imports(source: str, package: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) for each import in the source, imports inside functions included.

    `module` is absolute: relative imports resolve against `package`, the package the module sits in
    (app.songs for app/songs/routes.py and for app/songs/__init__.py alike). `names` are what a
    `from module import ...` binds, each as module.name (a submodule or an attribute: callers judge
    which); a plain `import a.b` gives module "a.b" and no names.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            yield node.lineno, base, [f"{base}.{alias.name}" for alias in node.names]
