"""The SQLite SQL of the reads written with :func:`retrieval.storage.database.read`, compiled
from their Core statements by ``python -m retrieval.storage.compile_reads``: do not edit.
A reading command runs these through the driver without loading SQLAlchemy.
"""

from typing import Any

# read -> (SQL, its parameters in order, the values the statement itself gives)
SQL: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
}
