"""What may be done with a duplicate: the `on_duplicate` setting's values.

Apart from the settings model so the CLI can offer them without importing pydantic.
"""

from typing import Literal

DuplicatePolicy = Literal["skip", "overwrite", "keep-both", "ask"]
