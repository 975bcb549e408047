"""Module names from the file tree, as Python imports them."""

from __future__ import annotations

from pathlib import Path

from pkify.project.files import module_name


def _tree(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


def test_a_package_chain(tmp_path: Path) -> None:
    _tree(tmp_path, "shop/__init__.py", "shop/views/__init__.py", "shop/views/orders.py")
    assert module_name(tmp_path / "shop/views/orders.py") == ("shop.views.orders", False)
    assert module_name(tmp_path / "shop/views/__init__.py") == ("shop.views", True)


def test_a_directory_without_init_inside_a_package_is_part_of_its_name(tmp_path: Path) -> None:
    _tree(tmp_path, "shop/__init__.py", "shop/base/models.py")
    assert module_name(tmp_path / "shop/base/models.py") == ("shop.base.models", False)


def test_a_directory_without_init_outside_any_package_is_not(tmp_path: Path) -> None:
    _tree(tmp_path, "scripts/run.py", "shop/__init__.py")
    assert module_name(tmp_path / "scripts/run.py") == ("run", False)
