"""A synthetic catalog for scale tests and benchmarks, reproducible from a seed; the
`generate_catalog` command's engine.

Every root row (artist, video, product, retailer) has a slug starting with
`SYNTHETIC_PREFIX`; every other row hangs off one of them, so the whole catalog can be found
and deleted again without touching what curators made.

- `shape`: sizes and presets, the invented words rows are made of.
- `generator`: `SyntheticCatalog`, which writes the tables with bulk inserts.
- `cleanup`: finding and deleting the synthetic rows.
"""

from .cleanup import delete_synthetic_catalog, synthetic_root_counts
from .generator import SyntheticCatalog
from .shape import (
    DEFAULT_BATCH_SIZE,
    PRESETS,
    PRODUCT_PICTURE,
    SYNTHETIC_PREFIX,
    Progress,
    SyntheticCatalogError,
    TableReport,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "PRESETS",
    "PRODUCT_PICTURE",
    "SYNTHETIC_PREFIX",
    "Progress",
    "SyntheticCatalog",
    "SyntheticCatalogError",
    "TableReport",
    "delete_synthetic_catalog",
    "synthetic_root_counts",
]
