"""Order of the integration tests across the workers (``make integration``).

The workers take whole files (``--dist loadfile``): a file's tests share its module-scoped
stack. (``--dist loadgroup`` with ``xdist_group`` marks would balance better, but with
pytest 9.2 it silently stops grouping: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

# The longest files go first so that no worker is left with one of them at the end;
# the rest (single runs of a minute or less) fill the gaps. Measured with --durations.
LONGEST_FIRST = ("test_production_stack.py", "test_data_layer.py", "test_production_teardown.py", "test_cache_layer.py",
                 "test_local_stack.py", "test_interrupted_runs.py", "test_parallel_waits.py", "test_network_layer.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)
